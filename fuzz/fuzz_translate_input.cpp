// fuzz_translate_input.cpp — `qkv translate`'s input path, the one the command runs: the bytes a
// user pipes in, read line by line and checked by LineReader (apps/qkv/line_reader.h), batched,
// translated by LoadedModel::translate_n_best and written by translate_stream
// (apps/qkv/translate_stream.h) in the format the options ask for.
//
// An input is one options byte, then the stdin bytes. The options byte picks what a user picks
// on the command line: the output format (text, --scores, --n-best 2), --truncate, the beam
// (1 or 2) and --batch-size (1, 2, 3 or 32). The model is a tiny Transformer (d_model 8, one
// layer each way, random weights, 24 positions so long lines are refused or truncated) with
// the main job's raw-text subwords: one rawbpe model for both sides, learned by the trainer's own
// learn_codecs from a fixed sample, so unseen characters go through byte fallback. Decoding is capped at kMaxOutput
// tokens.
//
// The input must be written out in full, or refused with qkv::Error (a bad line) after the lines
// before it were written. What is written must keep the format: text gives one output line per
// input line; --scores one line with one tab more than its translation; --n-best rows that name
// the input line they translate, in order. No translation may hold a newline.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "apps/qkv/line_reader.h"
#include "apps/qkv/translate_stream.h"
#include "fuzz/fuzz_support.h"
#include "train/codec_factory.h"
#include "train/model_factory.h"

namespace {

using namespace qkv;

constexpr int64_t kMaxOutput = 8;

const train::LoadedModel& tiny_model() {
  static const train::LoadedModel m = [] {
    data::ParallelCorpus sample;
    sample.source = {"A man in an orange hat starring at something.",
                     "Two young, White males are outside near many bushes.",
                     "A little girl climbing into a wooden playhouse."};
    sample.target = {"Ein Mann mit einem orangefarbenen Hut, der etwas anstarrt.",
                     "Zwei junge weiße Männer sind im Freien in der Nähe vieler Büsche.",
                     "Ein kleines Mädchen klettert in ein Spielhaus aus Holz."};
    train::TrainOptions o;  // the main job's text pipeline: one rawbpe model for both sides
    o.tokenizer = data::TokenizerKind::rawbpe;
    o.joint_vocab = true;
    o.vocab_size = 400;
    o.min_freq = 1;
    train::TextCodecs codecs;
    try {  // not the input's fault: a refusal here would make every input look refused
      codecs = train::learn_codecs(o, sample);
    } catch (const Error& e) {
      std::fprintf(stderr, "fuzz: the tiny model's codecs: %s\n", e.what());
      std::abort();
    }
    train::LoadedModel t;
    t.source = codecs.source;
    t.target = codecs.target;
    o.model.d_model = 8;
    o.model.num_heads = 2;
    o.model.encoder_layers = o.model.decoder_layers = 1;
    o.model.ffn_dim = 16;
    o.model.dropout = 0;
    o.model.max_positions = 24;
    o.model.source_vocab = t.source->vocab().size();
    o.model.target_vocab = t.target->vocab().size();
    t.model = train::make_model(o);
    Generator init(1);
    t.model->reset_parameters(init);
    t.model->eval();
    t.decode_defaults.max_length = kMaxOutput;
    return t;
  }();
  return m;
}

cli::StreamOptions options_from(uint8_t byte) {
  cli::StreamOptions o;
  o.translate.decode = tiny_model().decode_defaults;
  o.format = byte % 3 == 0   ? cli::StreamFormat::text
             : byte % 3 == 1 ? cli::StreamFormat::scores
                             : cli::StreamFormat::n_best;
  o.translate.truncate = (byte & 0x04) != 0;
  o.translate.decode.beam_size = (byte & 0x08) != 0 ? 2 : 1;
  if (o.format == cli::StreamFormat::n_best) {
    o.translate.decode.beam_size = 2;
    o.translate.n_best = 2;
  }
  const int64_t batch_sizes[] = {1, 2, 3, 32};
  o.batch_size = batch_sizes[(byte >> 4) & 3];
  return o;
}

// Checks what one input line's output holds, in the format asked for (see the top of the file).
void check_output(const std::string& out, int64_t lines_read, const cli::StreamOptions& o) {
  std::vector<std::string_view> rows;
  for (size_t start = 0; start < out.size();) {
    const size_t end = out.find('\n', start);
    if (end == std::string::npos) fuzz::property_failed("the output does not end with '\\n'");
    rows.push_back(std::string_view(out).substr(start, end - start));
    start = end + 1;
  }
  if (o.format != cli::StreamFormat::n_best) {
    if (static_cast<int64_t>(rows.size()) != lines_read) fuzz::property_failed("not one output line per input line");
    if (o.format == cli::StreamFormat::scores) {
      for (std::string_view row : rows) {
        if (!row.empty() && row.rfind('\t') == std::string_view::npos)
          fuzz::property_failed("--scores row without a tab");
      }
    }
    return;
  }
  int64_t last = 0;
  for (std::string_view row : rows) {
    const size_t tab = row.find('\t');
    if (tab == std::string_view::npos) fuzz::property_failed("an --n-best row without a tab");
    const int64_t number = std::stoll(std::string(row.substr(0, tab)));
    if (number < last || number < 1 || number > lines_read) fuzz::property_failed("--n-best rows out of order");
    last = number;
  }
}

void translate_input(std::string_view bytes) {
  if (bytes.empty()) return;
  static fuzz::MemoryFile file;
  file.set(bytes.substr(1));
  const cli::StreamOptions options = options_from(static_cast<uint8_t>(bytes[0]));
  const int fd = ::open(file.path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fuzz::MemoryFile::fail("open of the memfd failed");
  cli::LineReader in(fd, "stdin");
  std::string out;
  try {
    cli::translate_stream(tiny_model(), in, options, [&](std::string_view batch) { out += batch; });
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  check_output(out, in.lines_read(), options);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expect_errors([&] { translate_input(fuzz::as_text(data, size)); });
  return 0;
}
