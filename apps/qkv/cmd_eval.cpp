// cmd_eval.cpp — `qkv eval`: corpus BLEU and chrF of a hypothesis file, or of a model's
// translations of a source file, against a reference file, as sacreBLEU 2.x defines them
// (metrics/bleu.h): by default 13a tokenisation, cased, exp smoothing; `--tokenize none
// --lowercase` scores text that is already tokenised and lowercased, as Multi30k's lc.norm.tok.
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "apps/qkv/commands.h"
#include "apps/qkv/precision_option.h"
#include "data/corpus.h"
#include "metrics/bleu.h"
#include "metrics/chrf.h"
#include "metrics/tokenize.h"
#include "tensor/error.h"
#include "train/trained_model.h"

namespace qkv::cli {

struct EvalOptions {
  std::string hypotheses, references, model, source;
  models::DecodeOptions decode;
  std::string tokenize = "13a";
  bool lowercase = false;
  std::vector<std::string> metrics = {"bleu", "chrf"};
};

Command add_eval(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  app.add_option("--reference,-r", o->references, "reference translations, one per line")->required();
  auto* hyp = app.add_option("--hypothesis", o->hypotheses, "translations to score, one per line");
  auto* model = app.add_option("--model,-m", o->model, "translate --source with this checkpoint and score that");
  app.add_option("--source,-s", o->source, "source sentences (with --model)");
  auto* beam = app.add_option("--beam", o->decode.beam_size,
                              "beam size with --model (1: greedy; default: the checkpoint's decode.beam from qkv "
                              "finalize, else 1)");
  auto* length_penalty =
      app.add_option("--length-penalty", o->decode.length_penalty,
                     "beam length penalty alpha (default: the checkpoint's decode.length_penalty, else 0.6)");
  add_precision_option(app);  // apps/qkv/precision_option.h
  app.add_option("--tokenize", o->tokenize, "how BLEU splits words: 13a (sacreBLEU's default) or none")
      ->check(CLI::IsMember({"13a", "none"}))
      ->capture_default_str();
  app.add_flag("--lowercase", o->lowercase, "lowercase hypotheses and references before scoring (BLEU and chrF)");
  app.add_option("--metrics", o->metrics, "which scores to print: bleu, chrf or both")
      ->delimiter(',')
      ->check(CLI::IsMember({"bleu", "chrf"}))
      ->capture_default_str();
  hyp->excludes(model);
  return [o, beam, length_penalty]() {
    const auto references = data::read_lines(o->references, {.allow_empty = true});
    std::vector<std::string> hypotheses;
    if (!o->model.empty()) {
      if (o->source.empty()) throw Error("qkv eval: --model needs --source, the sentences to translate");
      train::LoadedModel m = train::load_model(o->model);
      if (beam->count() == 0) o->decode.beam_size = m.decode_defaults.beam_size;
      if (length_penalty->count() == 0) o->decode.length_penalty = m.decode_defaults.length_penalty;
      const auto start = std::chrono::steady_clock::now();
      // Blank lines give empty translations; a line longer than the model takes is an error naming it.
      hypotheses = m.translate(data::read_lines(o->source, {.allow_empty = true}), o->decode);
      fmt::print("translated {} sentences in {:.1f} s (beam {})\n", hypotheses.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), o->decode.beam_size);
    } else if (!o->hypotheses.empty()) {
      hypotheses = data::read_lines(o->hypotheses, {.allow_empty = true});
    } else {
      throw Error("qkv eval: give --hypothesis (a file of translations) or --model with --source");
    }
    if (hypotheses.size() != references.size()) {
      throw Error(fmt::format("qkv eval: {} hypotheses but {} references in '{}'", hypotheses.size(), references.size(),
                              o->references));
    }
    for (const std::string& metric : o->metrics) {
      if (metric == "bleu") {
        metrics::BleuOptions b;
        b.tokenize = metrics::parse_tokenize(o->tokenize);
        b.lowercase = o->lowercase;
        fmt::print("{}\n", metrics::corpus_bleu(hypotheses, references, b).signed_summary());
      } else {
        metrics::ChrfOptions c;
        c.lowercase = o->lowercase;
        fmt::print("{}\n", metrics::corpus_chrf(hypotheses, references, c).signed_summary());
      }
    }
    return 0;
  };
}

}  // namespace qkv::cli
