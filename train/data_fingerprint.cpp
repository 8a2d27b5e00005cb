// data_fingerprint.cpp — FNV-1a over a file's bytes, and the resume comparison.
#include "train/data_fingerprint.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tensor/error.h"

namespace qkv::train {
namespace {

// The files of a run's data, by option key.
std::map<std::string, std::string> data_files(const TrainOptions& o) {
  std::map<std::string, std::string> files;
  if (o.train_tsv.empty()) {
    files["train_source"] = o.train_source;
    files["train_target"] = o.train_target;
  } else {
    files["train_tsv"] = o.train_tsv;
  }
  if (o.valid_tsv.empty()) {
    files["valid_source"] = o.valid_source;
    files["valid_target"] = o.valid_target;
  } else {
    files["valid_tsv"] = o.valid_tsv;
  }
  return files;
}

// A data option for messages: "--train-source 'data/train.en'" ("train_source" → its flag).
std::string named(const TrainOptions& o, const std::string& key) {
  std::string flag = "--" + key;
  for (char& c : flag)
    if (c == '_') c = '-';
  const auto files = data_files(o);
  const auto it = files.find(key);
  return it == files.end() ? flag : fmt::format("{} '{}'", flag, it->second);
}

}  // namespace

std::string fingerprint_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  check(static_cast<bool>(in), "fingerprint '{}': cannot open it: {}", path, std::strerror(errno));
  uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a 64: offset basis, then xor and multiply per byte
  int64_t bytes = 0;
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize n = in.gcount();
    for (std::streamsize i = 0; i < n; ++i) {
      hash ^= static_cast<unsigned char>(buffer[static_cast<size_t>(i)]);
      hash *= 0x100000001b3ull;
    }
    bytes += n;
  }
  check(!in.bad(), "fingerprint '{}': error while reading it", path);
  return fmt::format("{} bytes, fnv1a64 {:016x}", bytes, hash);
}

DataFingerprints fingerprint_data(const TrainOptions& o) {
  DataFingerprints out;
  for (const auto& [key, path] : data_files(o)) out[key] = fingerprint_file(path);
  return out;
}

std::string check_resumed_data(const std::string& checkpoint, const TrainOptions& options,
                               const DataFingerprints& saved, const DataFingerprints& now, bool allow_change) {
  if (saved.empty()) {
    return fmt::format(
        "qkv train: '{}' records no fingerprint of its data (written by an older qkv), so whether the files changed "
        "cannot be checked; its next save records them",
        checkpoint);
  }
  std::vector<std::string> changes;
  for (const auto& [key, was] : saved) {
    const auto it = now.find(key);
    changes.push_back(it == now.end()     ? fmt::format("{} is no longer read (it was {})", named(options, key), was)
                      : it->second == was ? ""
                                          : fmt::format("{} is now {} (was {})", named(options, key), it->second, was));
    if (changes.back().empty()) changes.pop_back();
  }
  for (const auto& [key, is] : now) {
    if (!saved.contains(key))
      changes.push_back(fmt::format("{} was not read before (it is {})", named(options, key), is));
  }
  if (changes.empty()) return "";
  const std::string list = fmt::format("{}", fmt::join(changes, "; "));
  check(allow_change,
        "qkv train: cannot resume '{}': its data changed since it was written: {}. The run would continue at its "
        "saved position on different pairs; restore the files, start a new run (--init-from {} keeps the weights), "
        "or pass --allow-data-change to continue on the new data",
        checkpoint, list, checkpoint);
  return fmt::format("qkv train: --allow-data-change: continuing on changed data: {}", list);
}

}  // namespace qkv::train
