// metrics_driver.cpp — runs qkv's metrics on files for metrics_parity.py, which computes the same
// in Python (str.lower, re, sacreBLEU's definitions) and compares. Lines are split at '\n' only
// and read as bytes, so invalid UTF-8 reaches the metrics as it is.
//
//   metrics_driver tokenize FILE                        one 13a-tokenised line per input line
//   metrics_driver lower FILE                           one lowercased line per input line
//   metrics_driver bleu HYP REF TOKENIZE LOWERCASE      score (%.17g), then matches, totals, lengths
//   metrics_driver chrf HYP REF LOWERCASE               score (%.17g)
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "metrics/bleu.h"
#include "metrics/chrf.h"
#include "metrics/text.h"
#include "metrics/tokenize.h"
#include "tensor/error.h"

using namespace qkv;
using namespace qkv::metrics;

namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("metrics_driver: cannot open '{}'", path));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

void print_counts(const std::vector<int64_t>& counts) {
  for (size_t i = 0; i < counts.size(); ++i) fmt::print("{}{}", i ? " " : "", counts[i]);
  fmt::print("\n");
}

int run(const std::vector<std::string>& args) {
  const std::string& command = args.at(0);
  if (command == "tokenize" || command == "lower") {
    for (const auto& line : read_lines(args.at(1))) {
      fmt::print("{}\n", command == "tokenize" ? tokenize_13a(std::string_view(line))
                                               : encode_utf8(python_lower(decode_utf8(line))));
    }
  } else if (command == "bleu") {
    BleuOptions options;
    options.tokenize = parse_tokenize(args.at(3));
    options.lowercase = args.at(4) == "1";
    const BleuScore b = corpus_bleu(read_lines(args.at(1)), read_lines(args.at(2)), options);
    fmt::print("{:.17g}\n", b.score);
    print_counts(b.matches);
    print_counts(b.totals);
    fmt::print("{} {}\n", b.hypothesis_length, b.reference_length);
  } else if (command == "chrf") {
    ChrfOptions options;
    options.lowercase = args.at(3) == "1";
    fmt::print("{:.17g}\n", corpus_chrf(read_lines(args.at(1)), read_lines(args.at(2)), options).score);
  } else {
    throw Error(fmt::format("metrics_driver: unknown command '{}'", command));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    fmt::print(stderr, "metrics_driver: {}\n", e.what());
    return 1;
  }
}
