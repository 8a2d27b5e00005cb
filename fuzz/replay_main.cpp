// replay_main.cpp — runs saved fuzz inputs through a target without libFuzzer, so the normal
// (g++) test run checks every input in fuzz/corpus/<target>/ once: a crash, a sanitizer report
// (in a sanitizer build) or an unexpected exception fails the test.
//
//   fuzz_utf8_replay fuzz/corpus/utf8            # every file in the directory, in name order
//   fuzz_utf8_replay crash-1234 other-input      # single files too
//
// Not here: mutation, coverage, timeouts (scripts/fuzz.sh runs the libFuzzer build for that).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::filesystem::path> inputs_of(const std::filesystem::path& arg) {
  std::vector<std::filesystem::path> out;
  if (std::filesystem::is_directory(arg)) {
    for (const auto& entry : std::filesystem::directory_iterator(arg)) {
      if (entry.is_regular_file()) out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
  } else {
    out.push_back(arg);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& path : inputs_of(argv[i])) {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "replay: cannot read '%s'\n", path.c_str());
        return 1;
      }
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++count;
    }
  }
  // An empty corpus would pass without testing anything.
  if (count == 0) {
    std::fprintf(stderr, "replay: no inputs found in the arguments\n");
    return 1;
  }
  std::printf("replay: %zu inputs ran without a failure\n", count);
  return 0;
}
