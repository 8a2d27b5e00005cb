// cmd_translate.cpp — `qkv translate`: lines in (stdin or --input), translations out, streamed
// batch by batch (apps/qkv/translate_stream.h has the loop and the output formats).
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "apps/qkv/commands.h"
#include "apps/qkv/precision_option.h"
#include "apps/qkv/translate_stream.h"
#include "io/atomic_file.h"
#include "train/trained_model.h"

namespace qkv::cli {

namespace {

struct TranslateCliOptions {
  std::string model, input, output;
  StreamOptions stream;
  int64_t n_best = 0;  // 0: not given
  bool scores = false;
};

// --n-best against --beam, before the model is loaded.
void check_n_best(const TranslateCliOptions& o) {
  if (o.n_best == 0) return;
  const int64_t beam = o.stream.translate.decode.beam_size;
  if (o.n_best > 1 && beam == 1) {
    throw UsageError(
        fmt::format("qkv translate: --n-best {} needs beam search, but --beam 1 is greedy decoding, which finds one "
                    "hypothesis; use --beam {} or more",
                    o.n_best, o.n_best));
  }
  if (o.n_best > beam) {
    throw UsageError(fmt::format(
        "qkv translate: --n-best {} is more than --beam {}: a sentence's search stops once --beam hypotheses "
        "have finished; use --n-best {} or less, or a wider --beam",
        o.n_best, beam, beam));
  }
}

// stdin, or the --input file (closed when the command ends).
struct Input {
  int fd = STDIN_FILENO;
  explicit Input(const std::string& path) {
    if (path.empty()) return;
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    check(fd >= 0, "qkv translate: cannot open --input '{}': {}", path, std::strerror(errno));
  }
  ~Input() {
    if (fd != STDIN_FILENO) close(fd);
  }
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
};

}  // namespace

Command add_translate(CLI::App& app) {
  auto o = std::make_shared<TranslateCliOptions>();
  models::DecodeOptions& decode = o->stream.translate.decode;
  app.add_option("--model,-m", o->model, "a checkpoint written by qkv train (best.safetensors)")->required();
  app.add_option("--input,-i", o->input, "sentences, one per line (default: stdin)");
  app.add_option("--output,-o", o->output,
                 "write translations here, atomically: all at the end, nothing after an error (default: stdout, "
                 "written and flushed batch by batch)");
  auto* beam = app.add_option("--beam", decode.beam_size,
                              "beam size (1: greedy; default: the checkpoint's decode.beam from qkv finalize, else 1)");
  auto* length_penalty =
      app.add_option("--length-penalty", decode.length_penalty,
                     "beam search length penalty alpha (default: the checkpoint's decode.length_penalty, else 0.6)");
  app.add_option("--max-length", decode.max_length, "longest output (0: source length + 50)")->capture_default_str();
  app.add_option("--batch-size", o->stream.batch_size,
                 "at most this many lines per batch: the next line and those already waiting behind it; 1 when stdin "
                 "is a terminal")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{10000}));
  auto* n_best = app.add_option("--n-best", o->n_best,
                                "write the K best translations of each line, best first, one row each: "
                                "LINE<TAB>SCORE<TAB>TRANSLATION (LINE counts from 1); K <= --beam")
                     ->check(CLI::Range(int64_t{1}, int64_t{1000}));
  app.add_flag("--scores", o->scores, "write TRANSLATION<TAB>SCORE for each line")->excludes(n_best);
  app.add_flag("--truncate", o->stream.translate.truncate,
               "translate the first tokens of a line longer than the model takes, with a warning (default: an "
               "error naming the line, an empty output line, exit 1 after the other lines)");
  add_precision_option(app);  // apps/qkv/precision_option.h
  app.footer(
      "Output: one line per input line, in input order; with --scores TRANSLATION<TAB>SCORE (the score is the last "
      "field); with --n-best K, K rows LINE<TAB>SCORE<TAB>TRANSLATION per input line, best first. SCORE is the "
      "length-penalised log-probability beam search ranks by: the natural-log probabilities of the translation's "
      "tokens and of its end-of-sentence token (none when --max-length stopped it) summed, divided by "
      "((5 + length) / 6)^alpha (--length-penalty; length counts the end token); at most 0, higher is better, 4 "
      "decimals. A blank line (only whitespace) gives an empty translation, score 0, one n-best row. A line that is "
      "not UTF-8 or holds a NUL or other control character stops the run with an error naming it, once the lines "
      "before it are written.\n\n" +
      app.get_footer());
  return [o, beam, length_penalty]() {
    if (beam->count() > 0) check_n_best(*o);
    models::validate(o->stream.translate.decode, "qkv translate");
    if (o->n_best > 0) {
      o->stream.format = StreamFormat::n_best;
      o->stream.translate.n_best = o->n_best;
    } else if (o->scores) {
      o->stream.format = StreamFormat::scores;
    }
    const train::LoadedModel model = train::load_model(o->model);
    // What the flags leave unsaid, the checkpoint's recommendation says (qkv finalize).
    if (beam->count() == 0) o->stream.translate.decode.beam_size = model.decode_defaults.beam_size;
    if (length_penalty->count() == 0) o->stream.translate.decode.length_penalty = model.decode_defaults.length_penalty;
    check_n_best(*o);
    const Input input(o->input);
    LineReader in(input.fd, o->input.empty() ? "stdin" : "--input '" + o->input + "'");
    if (o->output.empty()) {
      return translate_stream(model, in, o->stream, [](std::string_view text) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
      });
    }
    AtomicFile out(o->output);
    int status = 0;
    try {
      status = translate_stream(model, in, o->stream, [&](std::string_view text) { out.write(text); });
    } catch (const Error& e) {
      throw Error(fmt::format("{}; --output '{}' was not written", e.what(), o->output));
    }
    out.commit();
    return status;
  };
}

}  // namespace qkv::cli
