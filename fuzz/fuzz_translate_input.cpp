// fuzz_translate_input.cpp — `qkv translate`'s input path: the bytes a user pipes in, split into
// lines as the command reads stdin, each line through the source TextCodec (tokenizer, then
// vocabulary) into ids, batched, and decoded by a model into target text (train/evaluate.h,
// translate_lines, which `qkv translate` and LoadedModel::translate call).
//
// An input is the stdin bytes. The model is a tiny Transformer (d_model 8, one layer each way,
// random weights) with a BPE source pipeline and a whitespace target pipeline learned from a
// fixed sample, so every line's pieces, unknown pieces and lengths reach the model; decoding is
// capped at kMaxOutput tokens (the output's length is not the input path). The input must be
// translated, one output line per input line, or refused with qkv::Error.
//
// translate_input() is the one place that says what the command does with the bytes; when
// cmd_translate.cpp's reading changes (per-line checks, streaming), change it to match.
#include <string>
#include <vector>

#include "data/bpe.h"
#include "fuzz/fuzz_support.h"
#include "train/evaluate.h"
#include "train/model_factory.h"

namespace {

using namespace qkv;

constexpr int64_t kMaxOutput = 8;

struct TinyModel {
  std::shared_ptr<train::TextCodec> source, target;
  std::unique_ptr<models::Seq2Seq> model;
};

std::shared_ptr<train::TextCodec> make_codec(std::unique_ptr<data::Tokenizer> tok,
                                             const std::vector<std::string>& lines) {
  std::vector<std::vector<std::string>> pieces;
  for (const auto& line : lines) pieces.push_back(tok->encode(line));
  data::Vocab vocab = data::Vocab::build(pieces, 1);
  return std::make_shared<train::TextCodec>(std::move(tok), std::move(vocab));
}

const TinyModel& tiny_model() {
  static const TinyModel m = [] {
    const std::vector<std::string> en = {"a man in an orange hat starring at something .",
                                         "two young , white males are outside near many bushes .",
                                         "a little girl climbing into a wooden playhouse ."};
    const std::vector<std::string> de = {"ein mann mit einem orangefarbenen hut , der etwas anstarrt .",
                                         "zwei junge weiße männer sind im freien in der nähe vieler büsche .",
                                         "ein kleines mädchen klettert in ein spielhaus aus holz ."};
    TinyModel t;
    t.source = make_codec(data::learn_bpe(en, 20), en);
    t.target = make_codec(data::make_whitespace_tokenizer(), de);
    train::TrainOptions o;
    o.model.d_model = 8;
    o.model.num_heads = 2;
    o.model.encoder_layers = o.model.decoder_layers = 1;
    o.model.ffn_dim = 16;
    o.model.dropout = 0;
    o.model.source_vocab = t.source->vocab().size();
    o.model.target_vocab = t.target->vocab().size();
    t.model = train::make_model(o);
    Generator init(1);
    t.model->reset_parameters(init);
    t.model->eval();
    return t;
  }();
  return m;
}

// What `qkv translate` does with its stdin: std::getline's lines ("\n" ends a line, a final line
// without one counts, nothing else is changed), translated in one call.
std::vector<std::string> translate_input(std::string_view bytes) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < bytes.size()) {
    const size_t end = std::min(bytes.find('\n', start), bytes.size());
    lines.emplace_back(bytes.substr(start, end - start));
    start = end + 1;
  }
  const TinyModel& m = tiny_model();
  models::DecodeOptions options;
  options.max_length = kMaxOutput;
  const auto out = train::translate_lines(*m.model, *m.source, *m.target, lines, options);
  if (out.size() != lines.size()) fuzz::property_failed("translate_lines gave another number of lines");
  for (const auto& line : out) {
    if (line.find('\n') != std::string::npos) fuzz::property_failed("a translation holds '\\n'");
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expect_errors([&] { translate_input(fuzz::as_text(data, size)); });
  return 0;
}
