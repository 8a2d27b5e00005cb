// decoding.cpp — greedy decoding, translate() and the step limits (beam search: beam_search.cpp).
#include "models/decoding.h"

#include <algorithm>
#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/ops/reduce.h"
#include "models/eval_mode_guard.h"
#include "tensor/factories.h"
#include "tensor/index.h"
#include "tensor/reduce.h"

namespace qkv::models {

std::vector<int64_t> decode_length_limits(const Seq2Seq& model, const Tensor& src, const Tensor& src_padding,
                                          const DecodeOptions& options) {
  check(src.dim() == 2 && src.dtype() == Dtype::int64, "decode: src must be (B, S) int64, got {} {}", src.shape(),
        dtype_name(src.dtype()));
  check(!src_padding.defined() || (src_padding.dtype() == Dtype::bool_ && src_padding.shape() == src.shape()),
        "decode: src_padding must be bool with src's shape {}, got {}", src.shape(),
        src_padding.defined() ? src_padding.shape() : Shape{});
  check(options.max_length >= 0, "decode: max_length {} must be >= 0 (0: source length + 50)", options.max_length);
  const int64_t B = src.size(0), S = src.size(1);
  const std::vector<int64_t> pad =
      src_padding.defined() ? to_vector<int64_t>(src_padding) : std::vector<int64_t>(static_cast<size_t>(B * S), 0);
  std::vector<int64_t> limits(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    int64_t length = 0;
    for (int64_t s = 0; s < S; ++s) length += pad[static_cast<size_t>(b * S + s)] != 0 ? 0 : 1;
    const int64_t limit = options.max_length > 0 ? options.max_length : length + 50;
    limits[static_cast<size_t>(b)] = std::min(limit, model.max_target_length());
  }
  return limits;
}

void validate(const DecodeOptions& o, std::string_view who) {
  check(o.beam_size >= 1 && o.beam_size <= 1000, "{}: beam_size (--beam) {} is outside 1..1000", who, o.beam_size);
  check(std::isfinite(o.length_penalty) && o.length_penalty >= 0 && o.length_penalty <= 10,
        "{}: length_penalty (--length-penalty) {} is outside 0..10 (GNMT's alpha; 0 turns it off, 0.6-1 is usual)", who,
        o.length_penalty);
  check(o.max_length >= 0 && o.max_length <= 100000, "{}: max_length {} is outside 0..100000 (0: source length + 50)",
        who, o.max_length);
}

namespace {

// Greedy decoding; with `scores`, also each sentence's ScoredHypothesis score (decoding.h).
// The ids do not depend on whether scores are asked for: both follow the argmax of the logits.
std::vector<std::vector<int64_t>> greedy(Seq2Seq& model, const Tensor& src, const Tensor& src_padding,
                                         const DecodeOptions& options, std::vector<double>* scores) {
  NoGradGuard no_grad;
  EvalModeGuard eval_mode(model);
  const std::vector<int64_t> limits = decode_length_limits(model, src, src_padding, options);
  const int64_t B = src.size(0);
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(B));
  std::vector<double> log_p(static_cast<size_t>(B), 0.0);  // Σ log P of each sentence's tokens so far
  if (B == 0) return out;
  const std::unique_ptr<DecodingState> state = model.begin_decoding(src, src_padding);
  std::vector<int64_t> active(static_cast<size_t>(B));  // sentence of each cache row
  for (int64_t b = 0; b < B; ++b) active[static_cast<size_t>(b)] = b;
  std::vector<int64_t> tokens(static_cast<size_t>(B), options.bos);
  auto finish = [&](int64_t sentence, int64_t length) {
    if (scores != nullptr) {
      (*scores)[static_cast<size_t>(sentence)] =
          log_p[static_cast<size_t>(sentence)] /
          std::pow((5.0 + static_cast<double>(length)) / 6.0, options.length_penalty);
    }
  };
  if (scores != nullptr) scores->assign(static_cast<size_t>(B), 0.0);
  while (!active.empty()) {
    const Tensor logits = model.decode_step(from_vector(tokens), *state);  // (A, V)
    const std::vector<int64_t> next = to_vector<int64_t>(raw::argmax(logits, 1, false));
    std::vector<double> chosen;  // log P of each row's next token
    if (scores != nullptr) {
      const Tensor log_probs = log_softmax(logits, 1);  // (A, V)
      chosen = to_vector<double>(raw::gather(log_probs, 1, from_vector(next, Shape{logits.size(0), 1})));
    }
    std::vector<int64_t> keep_rows, keep_sentences, keep_tokens;
    for (size_t r = 0; r < active.size(); ++r) {
      const int64_t sentence = active[r];
      auto& hyp = out[static_cast<size_t>(sentence)];
      if (scores != nullptr) log_p[static_cast<size_t>(sentence)] += chosen[r];
      if (next[r] == options.eos) {
        finish(sentence, static_cast<int64_t>(hyp.size()) + 1);  // the eos counts
        continue;
      }
      hyp.push_back(next[r]);
      if (static_cast<int64_t>(hyp.size()) >= limits[static_cast<size_t>(sentence)]) {
        finish(sentence, static_cast<int64_t>(hyp.size()));
        continue;
      }
      keep_rows.push_back(static_cast<int64_t>(r));
      keep_sentences.push_back(sentence);
      keep_tokens.push_back(next[r]);
    }
    if (keep_rows.size() < active.size() && !keep_rows.empty()) state->select(from_vector(keep_rows));
    active = std::move(keep_sentences);
    tokens = std::move(keep_tokens);
  }
  return out;
}

}  // namespace

std::vector<std::vector<int64_t>> greedy_decode(Seq2Seq& model, const Tensor& src, const Tensor& src_padding,
                                                const DecodeOptions& options) {
  validate(options, "greedy_decode");
  return greedy(model, src, src_padding, options, nullptr);
}

std::vector<std::vector<int64_t>> translate(Seq2Seq& model, const Tensor& src, const Tensor& src_padding,
                                            const DecodeOptions& options) {
  validate(options, "translate");
  return options.beam_size == 1 ? greedy_decode(model, src, src_padding, options)
                                : beam_search(model, src, src_padding, options);
}

std::vector<std::vector<ScoredHypothesis>> translate_n_best(Seq2Seq& model, const Tensor& src,
                                                            const Tensor& src_padding, const DecodeOptions& options,
                                                            int64_t n_best) {
  validate(options, "translate_n_best");
  check(n_best >= 1 && n_best <= options.beam_size,
        "translate_n_best: n_best {} is outside 1..beam_size ({}): a sentence's search stops once beam_size "
        "hypotheses have finished{}",
        n_best, options.beam_size, options.beam_size == 1 ? ", and greedy decoding (beam_size 1) finds one" : "");
  if (options.beam_size > 1) return beam_search_n_best(model, src, src_padding, options, n_best);
  std::vector<double> scores;
  std::vector<std::vector<int64_t>> ids = greedy(model, src, src_padding, options, &scores);
  std::vector<std::vector<ScoredHypothesis>> out(ids.size());
  for (size_t b = 0; b < ids.size(); ++b) out[b].push_back({std::move(ids[b]), scores[b]});
  return out;
}

}  // namespace qkv::models
