// fuzz_corpus.cpp — the corpus readers (data/corpus.h) on arbitrary file bytes: read_lines,
// read_parallel (two files) and read_parallel_tsv.
//
// An input is one control byte, then the file bytes:
//   control % 3      0: read_lines, 1: read_parallel, 2: read_parallel_tsv
//   control & 4      allow_empty
//   control & 8      max_line_bytes 16 (else the default, 4096)
// For read_parallel the bytes are split at the first "\xff\xfe" (never valid UTF-8) into the
// source file and the target file; without it both files get the same bytes.
// Properties of an accepted corpus, checked against the bytes themselves: as many lines as the
// file has (a final line without "\n" counts), each line the file's line without its "\r",
// valid UTF-8, within the limit, not blank unless allowed; two sides of equal length; no tab in
// a TSV side.
#include <algorithm>

#include "data/corpus.h"
#include "data/utf8.h"
#include "fuzz/fuzz_support.h"

namespace {

using namespace qkv;
using data::CorpusLimits;

// The file's lines as the readers define them (the reference the readers are checked against).
std::vector<std::string_view> reference_lines(std::string_view bytes) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < bytes.size()) {
    const size_t end = std::min(bytes.find('\n', start), bytes.size());
    std::string_view line = bytes.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    start = end + 1;
  }
  return out;
}

bool blank(std::string_view s) { return std::all_of(s.begin(), s.end(), data::is_ascii_space); }

void check_line(std::string_view line, const CorpusLimits& limits) {
  if (line.find('\n') != std::string_view::npos) fuzz::property_failed("a line holds '\\n'");
  if (data::first_invalid_utf8(line) != std::string_view::npos) fuzz::property_failed("a line is not valid UTF-8");
  if (limits.max_line_bytes > 0 && static_cast<int64_t>(line.size()) > limits.max_line_bytes) {
    fuzz::property_failed("a line is over max_line_bytes");
  }
  if (!limits.allow_empty && blank(line)) fuzz::property_failed("a blank line was accepted");
}

void check_file(const std::vector<std::string>& lines, std::string_view bytes, const CorpusLimits& limits) {
  const auto expected = reference_lines(bytes);
  if (!std::equal(lines.begin(), lines.end(), expected.begin(), expected.end())) {
    fuzz::property_failed("the lines read differ from the file's lines");
  }
  for (const auto& line : lines) check_line(line, limits);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  const std::string_view bytes = fuzz::as_text(data + 1, size - 1);
  CorpusLimits limits;
  limits.allow_empty = (control & 4) != 0;
  if (control & 8) limits.max_line_bytes = 16;

  static fuzz::MemoryFile source_file, target_file;
  switch (control % 3) {
    case 0: {
      source_file.set(bytes);
      std::vector<std::string> lines;
      if (fuzz::expect_errors([&] { lines = data::read_lines(source_file.path(), limits); })) {
        check_file(lines, bytes, limits);
      }
      break;
    }
    case 1: {
      const size_t split = bytes.find("\xff\xfe");
      const std::string_view source = bytes.substr(0, split);
      const std::string_view target = split == std::string_view::npos ? bytes : bytes.substr(split + 2);
      source_file.set(source);
      target_file.set(target);
      data::ParallelCorpus c;
      if (fuzz::expect_errors([&] { c = data::read_parallel(source_file.path(), target_file.path(), limits); })) {
        check_file(c.source, source, limits);
        check_file(c.target, target, limits);
        if (c.source.size() != c.target.size()) fuzz::property_failed("the two sides differ in length");
      }
      break;
    }
    default: {
      source_file.set(bytes);
      data::ParallelCorpus c;
      if (fuzz::expect_errors([&] { c = data::read_parallel_tsv(source_file.path(), limits); })) {
        const auto expected = reference_lines(bytes);
        if (c.source.size() != expected.size() || c.target.size() != expected.size()) {
          fuzz::property_failed("a TSV side does not have one entry per line");
        }
        for (size_t i = 0; i < expected.size(); ++i) {
          if (c.source[i] + "\t" + c.target[i] != expected[i]) fuzz::property_failed("a TSV pair is not its line");
          if (limits.max_line_bytes > 0 && static_cast<int64_t>(expected[i].size()) > limits.max_line_bytes) {
            fuzz::property_failed("a TSV line is over max_line_bytes");
          }
          CorpusLimits side = limits;
          side.max_line_bytes = 0;  // the limit is on the whole line, checked just above
          check_line(c.source[i], side);
          check_line(c.target[i], side);
          if (c.source[i].find('\t') != std::string::npos || c.target[i].find('\t') != std::string::npos) {
            fuzz::property_failed("a TSV side holds a tab");
          }
        }
      }
      break;
    }
  }
  return 0;
}
