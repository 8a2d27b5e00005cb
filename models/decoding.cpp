// decoding.cpp — greedy decoding, translate() and the step limits (beam search: beam_search.cpp).
#include "models/decoding.h"

#include <algorithm>
#include <cmath>

#include "autograd/grad_mode.h"
#include "models/eval_mode_guard.h"
#include "tensor/factories.h"
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

std::vector<std::vector<int64_t>> greedy_decode(Seq2Seq& model, const Tensor& src, const Tensor& src_padding,
                                                const DecodeOptions& options) {
  validate(options, "greedy_decode");
  NoGradGuard no_grad;
  EvalModeGuard eval_mode(model);
  const std::vector<int64_t> limits = decode_length_limits(model, src, src_padding, options);
  const int64_t B = src.size(0);
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(B));
  if (B == 0) return out;
  const std::unique_ptr<DecodingState> state = model.begin_decoding(src, src_padding);
  std::vector<int64_t> active(static_cast<size_t>(B));  // sentence of each cache row
  for (int64_t b = 0; b < B; ++b) active[static_cast<size_t>(b)] = b;
  std::vector<int64_t> tokens(static_cast<size_t>(B), options.bos);
  while (!active.empty()) {
    const Tensor logits = model.decode_step(from_vector(tokens), *state);  // (A, V)
    const std::vector<int64_t> next = to_vector<int64_t>(raw::argmax(logits, 1, false));
    std::vector<int64_t> keep_rows, keep_sentences, keep_tokens;
    for (size_t r = 0; r < active.size(); ++r) {
      auto& hyp = out[static_cast<size_t>(active[r])];
      if (next[r] == options.eos) continue;
      hyp.push_back(next[r]);
      if (static_cast<int64_t>(hyp.size()) >= limits[static_cast<size_t>(active[r])]) continue;
      keep_rows.push_back(static_cast<int64_t>(r));
      keep_sentences.push_back(active[r]);
      keep_tokens.push_back(next[r]);
    }
    if (keep_rows.size() < active.size() && !keep_rows.empty()) state->select(from_vector(keep_rows));
    active = std::move(keep_sentences);
    tokens = std::move(keep_tokens);
  }
  return out;
}

std::vector<std::vector<int64_t>> translate(Seq2Seq& model, const Tensor& src, const Tensor& src_padding,
                                            const DecodeOptions& options) {
  validate(options, "translate");
  return options.beam_size == 1 ? greedy_decode(model, src, src_padding, options)
                                : beam_search(model, src, src_padding, options);
}

}  // namespace qkv::models
