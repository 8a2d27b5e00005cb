// beam_search.cpp — batched beam search over sentences × beams with GNMT's length penalty
// (the algorithm is described in decoding.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>

#include "autograd/grad_mode.h"
#include "autograd/ops/reduce.h"
#include "models/decoding.h"
#include "models/eval_mode_guard.h"
#include "tensor/factories.h"
#include "tensor/index.h"
#include "tensor/views.h"

namespace qkv::models {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

struct Hypothesis {
  std::vector<int64_t> tokens;  // generated so far, without bos (and without eos)
  double score = 0;             // Σ log P of the generated tokens
};

struct Finished {
  std::vector<int64_t> tokens;
  double normalised = 0;  // score / ((5 + len)/6)^α
};

struct Candidate {
  double score;
  int64_t beam;
  int64_t token;
};

// Better = higher score; on equal scores, the lower (beam, token).
bool better(const Candidate& a, const Candidate& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.beam != b.beam) return a.beam < b.beam;
  return a.token < b.token;
}

double penalised(double score, int64_t length, double alpha) {
  return score / std::pow((5.0 + static_cast<double>(length)) / 6.0, alpha);
}

// The `count` best candidates of one sentence: beam k's score + log_probs[k][v], over its beams.
template <class T>
std::vector<Candidate> best_candidates(const T* log_probs, int64_t vocab, const std::vector<Hypothesis>& beams,
                                       size_t count) {
  // A min-heap of the best `count` so far: its top is the worst kept candidate.
  auto worse_on_top = [](const Candidate& a, const Candidate& b) { return better(a, b); };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(worse_on_top)> heap(worse_on_top);
  for (size_t k = 0; k < beams.size(); ++k) {
    if (beams[k].score == kNegInf) continue;  // a placeholder beam (first step)
    const T* row = log_probs + static_cast<int64_t>(k) * vocab;
    for (int64_t v = 0; v < vocab; ++v) {
      const Candidate c{beams[k].score + static_cast<double>(row[v]), static_cast<int64_t>(k), v};
      if (heap.size() < count) {
        heap.push(c);
      } else if (better(c, heap.top())) {
        heap.pop();
        heap.push(c);
      }
    }
  }
  std::vector<Candidate> out;
  out.reserve(heap.size());
  while (!heap.empty()) {
    out.push_back(heap.top());
    heap.pop();
  }
  std::reverse(out.begin(), out.end());  // best first
  return out;
}

}  // namespace

std::vector<std::vector<int64_t>> beam_search(Seq2Seq& model, const Tensor& src, const Tensor& src_padding,
                                              const DecodeOptions& options) {
  check(options.beam_size >= 1, "beam_search: beam_size {} must be at least 1", options.beam_size);
  NoGradGuard no_grad;
  EvalModeGuard eval_mode(model);
  const std::vector<int64_t> limits = decode_length_limits(model, src, src_padding, options);
  const int64_t B = src.size(0), K = options.beam_size, V = model.target_vocab();
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(B));
  if (B == 0) return out;

  // Every sentence encoded once, its decoding state repeated K times: row b·K + k is beam k of
  // sentence b.
  std::vector<int64_t> repeat_rows;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t k = 0; k < K; ++k) repeat_rows.push_back(b);
  }
  const std::unique_ptr<DecodingState> state = model.begin_decoding(src, src_padding);
  state->select(from_vector(repeat_rows));

  std::vector<int64_t> active(static_cast<size_t>(B));  // the sentences of the cache's row blocks
  for (int64_t b = 0; b < B; ++b) active[static_cast<size_t>(b)] = b;
  // Live beams per sentence; on the first step only beam 0 is real (they would all be equal).
  std::vector<std::vector<Hypothesis>> beams(static_cast<size_t>(B), std::vector<Hypothesis>(static_cast<size_t>(K)));
  for (auto& bs : beams) {
    for (size_t k = 1; k < bs.size(); ++k) bs[k].score = kNegInf;
  }
  std::vector<std::vector<Finished>> finished(static_cast<size_t>(B));
  std::vector<int64_t> tokens(static_cast<size_t>(B * K), options.bos);

  for (int64_t step = 1; !active.empty(); ++step) {
    const Tensor logits = model.decode_step(from_vector(tokens), *state);  // (A·K, V)
    const Tensor log_probs = raw::contiguous(log_softmax(logits, 1));      // (A·K, V)
    std::vector<int64_t> next_rows, next_active, next_tokens;
    for (size_t a = 0; a < active.size(); ++a) {
      const int64_t b = active[a];
      auto& live = beams[static_cast<size_t>(b)];
      auto& done = finished[static_cast<size_t>(b)];
      std::vector<Candidate> candidates;
      dispatch_floating("beam_search", log_probs.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* base = log_probs.data<T>() + static_cast<int64_t>(a) * K * V;
        candidates = best_candidates(base, V, live, static_cast<size_t>(2 * K));
      });
      std::vector<Hypothesis> extended;
      std::vector<int64_t> parents;
      for (size_t rank = 0; rank < candidates.size() && static_cast<int64_t>(extended.size()) < K; ++rank) {
        const Candidate& c = candidates[rank];
        const Hypothesis& parent = live[static_cast<size_t>(c.beam)];
        if (c.token == options.eos) {
          if (static_cast<int64_t>(rank) < K)
            done.push_back({parent.tokens, penalised(c.score, step, options.length_penalty)});
          continue;
        }
        Hypothesis h{parent.tokens, c.score};
        h.tokens.push_back(c.token);
        extended.push_back(std::move(h));
        parents.push_back(c.beam);
      }
      const bool at_limit = step >= limits[static_cast<size_t>(b)];
      if (static_cast<int64_t>(done.size()) >= K || at_limit || extended.empty()) {
        if (done.empty() || (at_limit && static_cast<int64_t>(done.size()) < K)) {
          for (const Hypothesis& h : extended)
            done.push_back({h.tokens, penalised(h.score, step, options.length_penalty)});
        }
        continue;
      }
      while (static_cast<int64_t>(extended.size()) < K) {  // fewer candidates than beams (tiny vocab)
        extended.push_back(Hypothesis{extended.front().tokens, kNegInf});
        parents.push_back(parents.front());
      }
      for (int64_t k = 0; k < K; ++k) {
        next_rows.push_back(static_cast<int64_t>(a) * K + parents[static_cast<size_t>(k)]);
        next_tokens.push_back(extended[static_cast<size_t>(k)].tokens.back());
      }
      live = std::move(extended);
      next_active.push_back(b);
    }
    // Beams move only within their sentence, so the source's rows need selecting only when a
    // sentence has left the batch.
    if (!next_active.empty()) state->select(from_vector(next_rows), next_active.size() != active.size());
    active = std::move(next_active);
    tokens = std::move(next_tokens);
  }

  for (int64_t b = 0; b < B; ++b) {
    const auto& done = finished[static_cast<size_t>(b)];
    const auto best = std::max_element(done.begin(), done.end(), [](const Finished& x, const Finished& y) {
      return x.normalised < y.normalised;  // the first of equal maxima wins
    });
    if (best != done.end()) out[static_cast<size_t>(b)] = best->tokens;
  }
  return out;
}

}  // namespace qkv::models
