// subword_bench.cpp — the raw-text subword models side by side on raw Multi30k: how long each
// takes to learn, how fast it encodes (lines/s, MB/s; the median of --repeats passes, each on a
// fresh copy of the model so no word cache is warm from learning) and decodes, and what it
// makes of the text (vocabulary, pieces per line, byte pieces, exact round trips).
//
//   build/subword_bench [--data data/multi30k/raw] [--vocab-size 8000] [--repeats 5] [--quick]
//
// rawbpe: qkv's learner (data/raw_bpe.h); spm-unigram and spm-bpe: libsentencepiece's trainers
// (--spm-type) with qkv's lossless settings (data/sentencepiece_tokenizer.h), skipped when qkv is built
// without it. Both learn one joint model over train.en + train.de (what --joint-vocab does) and
// encode the same lines. --quick: 2,000 lines, one pass, a vocabulary of at most 1,000: to check that it runs.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "bench/timing.h"
#include "data/byte_pieces.h"
#include "data/corpus.h"
#include "data/raw_bpe.h"
#include "data/sentencepiece_tokenizer.h"

using namespace qkv;

namespace {

struct Args {
  std::string data = "data/multi30k/raw";
  int64_t vocab_size = 8000;
  int repeats = 5;
  bool quick = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--data")
      a.data = value();
    else if (flag == "--vocab-size")
      a.vocab_size = std::stoll(value());
    else if (flag == "--repeats")
      a.repeats = std::stoi(value());
    else if (flag == "--quick")
      a.quick = true;
    else
      throw std::runtime_error("unknown option " + flag);
  }
  if (a.quick) {
    a.repeats = 1;
    a.vocab_size = std::min<int64_t>(a.vocab_size, 1000);  // what 2,000 lines can fill
  }
  return a;
}

void report(const std::string& name, double learn_ms, const data::Tokenizer& learned,
            const std::function<std::unique_ptr<data::Tokenizer>()>& fresh_copy, const std::vector<std::string>& lines,
            int repeats) {
  double bytes = 0;
  for (const std::string& line : lines) bytes += static_cast<double>(line.size());
  std::vector<double> encode_ms, decode_ms;
  std::vector<std::vector<std::string>> encoded(lines.size());
  for (int r = 0; r < repeats; ++r) {
    const auto tok = fresh_copy();  // cold caches: the speed of encoding new text
    const double t0 = bench::wall_ms();
    for (size_t i = 0; i < lines.size(); ++i) encoded[i] = tok->encode(lines[i]);
    const double t1 = bench::wall_ms();
    size_t exact = 0;
    for (size_t i = 0; i < lines.size(); ++i) exact += tok->decode(encoded[i]) == lines[i];
    decode_ms.push_back(bench::wall_ms() - t1);
    encode_ms.push_back(t1 - t0);
    if (exact != lines.size())
      fmt::print("  {}: {} of {} lines do not round-trip\n", name, lines.size() - exact, lines.size());
  }
  size_t pieces = 0, byte_pieces = 0;
  for (const auto& p : encoded) {
    pieces += p.size();
    for (const std::string& piece : p) byte_pieces += data::parse_byte_piece(piece).has_value();
  }
  const double enc = bench::median(encode_ms) / 1e3, dec = bench::median(decode_ms) / 1e3;
  fmt::print("{:<14} {:>9.2f} {:>9} {:>10.0f} {:>8.2f} {:>10.0f} {:>8.2f} {:>8.1f} {:>7}\n", name, learn_ms / 1e3,
             learned.inventory().size() + 4, static_cast<double>(lines.size()) / enc, bytes / enc / 1e6,
             static_cast<double>(lines.size()) / dec, bytes / dec / 1e6,
             static_cast<double>(pieces) / static_cast<double>(lines.size()), byte_pieces);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = parse(argc, argv);
    std::vector<std::string> lines = data::read_lines(a.data + "/train.en");
    const std::vector<std::string> de = data::read_lines(a.data + "/train.de");
    lines.insert(lines.end(), de.begin(), de.end());
    if (a.quick) lines.resize(2000);
    fmt::print("subword_bench: {} lines of {}/train.{{en,de}}, vocabulary {}, median of {} encode passes\n",
               lines.size(), a.data, a.vocab_size, a.repeats);
    fmt::print("{:<14} {:>9} {:>9} {:>10} {:>8} {:>10} {:>8} {:>8} {:>7}\n", "model", "learn s", "vocab", "enc line/s",
               "enc MB/s", "dec line/s", "dec MB/s", "pcs/line", "bytes");

    double t0 = bench::wall_ms();
    const auto raw = data::learn_raw_bpe(lines, {.vocab_size = a.vocab_size, .min_char_count = 2});
    const double raw_ms = bench::wall_ms() - t0;
    const std::string raw_text = raw->serialize();
    report(
        "rawbpe", raw_ms, *raw, [&] { return data::deserialize_tokenizer(raw_text); }, lines, a.repeats);

    if (!data::sentencepiece_available()) {
      fmt::print("{:<14} skipped: qkv was built without SentencePiece\n", "sentencepiece");
      return 0;
    }
    for (const auto type : {data::SentencePieceType::unigram, data::SentencePieceType::bpe}) {
      t0 = bench::wall_ms();
      const auto spm = data::learn_sentencepiece(lines, a.vocab_size - 1, type);  // as --vocab-size: qkv adds <pad>
      const double spm_ms = bench::wall_ms() - t0;
      const std::string spm_text = spm->serialize();
      report(
          fmt::format("spm-{}", enum_name(type)), spm_ms, *spm, [&] { return data::deserialize_tokenizer(spm_text); },
          lines, a.repeats);
    }
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "subword_bench: {}\n", e.what());
    return 1;
  }
}
