// beam_search.cpp — batched beam search over sentences × beams with GNMT's length penalty.
//
// The cache holds K = beam_size rows per sentence still decoding (row a·K + k is beam k of the
// a-th of them). Each step feeds every row's last token through the model, then per sentence:
//   1. expand   extend every live hypothesis by every token and rank the best 2K candidates by
//               Σ log P (ties: the lower beam, then the lower token id);
//   2. select   walk that ranking: an eos candidate ranked within the first K finishes its
//               hypothesis, scored with the length penalty; the first K others live on;
//   3. retire   the sentence if it is over (the end-of-sentence rule, at `is_over` below);
//   4. reorder  the cache, so that each new beam's row holds its parent's state, and the rows
//               of retired sentences leave the batch.
// When every sentence has retired, each one's answer is its best finished hypothesis, and its
// n-best list the best n of them (beam_search_n_best).
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
  double score = 0;             // Σ log P of the generated tokens; kNegInf: a placeholder beam
};

struct Finished {
  std::vector<int64_t> tokens;
  double normalised = 0;  // score / ((5 + len)/6)^α
};

// One sentence's search.
struct Sentence {
  std::vector<Hypothesis> live;    // K beams
  std::vector<Finished> finished;  // in the order they finished
  int64_t limit = 0;               // the step limit (decode_length_limits)
};

struct Candidate {
  double score;  // the parent's score + log P(token)
  int64_t beam;  // the parent
  int64_t token;
};

// Better = higher score; on equal scores, the lower (beam, token).
bool better(const Candidate& a, const Candidate& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.beam != b.beam) return a.beam < b.beam;
  return a.token < b.token;
}

// GNMT's length penalty: a hypothesis of `length` tokens (an eos counted) ranks by this.
double penalised(double score, int64_t length, double alpha) {
  return score / std::pow((5.0 + static_cast<double>(length)) / 6.0, alpha);
}

// Adds a finished hypothesis of `length` tokens to the sentence.
void finish(Sentence& s, const std::vector<int64_t>& tokens, double score, int64_t length, double alpha) {
  s.finished.push_back({tokens, penalised(score, length, alpha)});
}

// Every sentence starts from bos with K beams; only beam 0 is real on the first step (the others
// would repeat it), so the others are placeholders that no candidate extends.
std::vector<Sentence> start_sentences(const std::vector<int64_t>& limits, int64_t K) {
  std::vector<Sentence> sentences(limits.size());
  for (size_t b = 0; b < limits.size(); ++b) {
    sentences[b].live.resize(static_cast<size_t>(K));
    for (size_t k = 1; k < sentences[b].live.size(); ++k) sentences[b].live[k].score = kNegInf;
    sentences[b].limit = limits[b];
  }
  return sentences;
}

// ---- 1. expand ----------------------------------------------------------------------------

// The `count` best candidates of one sentence, best first: beam k's score + log_probs[k][v].
template <class T>
std::vector<Candidate> best_candidates(const T* log_probs, int64_t vocab, const std::vector<Hypothesis>& beams,
                                       size_t count) {
  // A min-heap of the best `count` so far: its top is the worst kept candidate.
  auto worse_on_top = [](const Candidate& a, const Candidate& b) { return better(a, b); };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(worse_on_top)> heap(worse_on_top);
  for (size_t k = 0; k < beams.size(); ++k) {
    if (beams[k].score == kNegInf) continue;  // a placeholder beam
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

// log_probs (A·K, V): the sentence in row block `block` → its best 2K candidates, best first.
std::vector<Candidate> expand(const Tensor& log_probs, size_t block, const Sentence& s, int64_t K) {
  const int64_t V = log_probs.size(1);
  std::vector<Candidate> candidates;
  dispatch_floating("beam_search", log_probs.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* rows = log_probs.data<T>() + static_cast<int64_t>(block) * K * V;  // (K, V)
    candidates = best_candidates(rows, V, s.live, static_cast<size_t>(2 * K));
  });
  return candidates;
}

// ---- 2. select ----------------------------------------------------------------------------

// The hypotheses that live on after a step, each with the beam it extends.
struct Successors {
  std::vector<Hypothesis> beams;
  std::vector<int64_t> parents;
};

// Walks the ranking: an eos candidate ranked within the first K finishes its parent at length
// `step` (the eos counted); one ranked lower is dropped. The first K other candidates live on.
Successors select_successors(const std::vector<Candidate>& ranked, Sentence& s, int64_t step, int64_t K,
                             const DecodeOptions& options) {
  Successors next;
  for (size_t rank = 0; rank < ranked.size() && static_cast<int64_t>(next.beams.size()) < K; ++rank) {
    const Candidate& c = ranked[rank];
    const Hypothesis& parent = s.live[static_cast<size_t>(c.beam)];
    if (c.token == options.eos) {
      if (static_cast<int64_t>(rank) < K) finish(s, parent.tokens, c.score, step, options.length_penalty);
      continue;
    }
    Hypothesis h{parent.tokens, c.score};
    h.tokens.push_back(c.token);
    next.beams.push_back(std::move(h));
    next.parents.push_back(c.beam);
  }
  return next;
}

// With fewer candidates than beams (a vocabulary smaller than 2K), placeholders fill the beam.
void fill_with_placeholders(Successors& next, int64_t K) {
  while (static_cast<int64_t>(next.beams.size()) < K) {
    next.beams.push_back(Hypothesis{next.beams.front().tokens, kNegInf});
    next.parents.push_back(next.parents.front());
  }
}

// ---- 3. retire: the end-of-sentence rule --------------------------------------------------
//
// A sentence is over after step `step` when
//   - K of its hypotheses have finished (ended with eos), or
//   - it has reached its step limit, or
//   - nothing is left to live on (every candidate was an eos).
// Over at its limit with fewer than K finished, its live hypotheses finish too, without an eos
// (length `step`). A retired sentence leaves the batch; its answer is the finished hypothesis
// with the best penalised score, the first one to finish among equals.

bool is_over(const Sentence& s, const Successors& next, int64_t step, int64_t K) {
  return static_cast<int64_t>(s.finished.size()) >= K || step >= s.limit || next.beams.empty();
}

// Placeholders (fill_with_placeholders) are not hypotheses: they never finish.
void retire(Sentence& s, const Successors& next, int64_t step, int64_t K, double alpha) {
  if (step < s.limit || static_cast<int64_t>(s.finished.size()) >= K) return;
  for (const Hypothesis& h : next.beams) {
    if (h.score != kNegInf) finish(s, h.tokens, h.score, step, alpha);
  }
}

// The sentence's n best finished hypotheses, best first; among equal scores the first to finish
// comes first. Element 0 is the sentence's answer.
std::vector<ScoredHypothesis> best_finished(const Sentence& s, int64_t n) {
  std::vector<const Finished*> ranking;
  for (const Finished& f : s.finished) ranking.push_back(&f);
  std::stable_sort(ranking.begin(), ranking.end(),
                   [](const Finished* x, const Finished* y) { return x->normalised > y->normalised; });
  std::vector<ScoredHypothesis> out;
  for (size_t i = 0; i < ranking.size() && static_cast<int64_t>(i) < n; ++i) {
    out.push_back({ranking[i]->tokens, ranking[i]->normalised});
  }
  return out;
}

// Runs the search to the end: every sentence with its finished hypotheses.
std::vector<Sentence> search(Seq2Seq& model, const Tensor& src, const Tensor& src_padding,
                             const DecodeOptions& options) {
  NoGradGuard no_grad;
  EvalModeGuard eval_mode(model);
  const std::vector<int64_t> limits = decode_length_limits(model, src, src_padding, options);
  const int64_t B = src.size(0), K = options.beam_size;
  if (B == 0) return {};

  // Every sentence encoded once, its decoding state repeated K times: row b·K + k is beam k of
  // sentence b.
  std::vector<int64_t> repeat_rows;
  for (int64_t b = 0; b < B; ++b) repeat_rows.insert(repeat_rows.end(), static_cast<size_t>(K), b);
  const std::unique_ptr<DecodingState> state = model.begin_decoding(src, src_padding);
  state->select(from_vector(repeat_rows));

  std::vector<Sentence> sentences = start_sentences(limits, K);
  std::vector<int64_t> active(static_cast<size_t>(B));  // the sentence of each block of K rows
  for (int64_t b = 0; b < B; ++b) active[static_cast<size_t>(b)] = b;
  std::vector<int64_t> tokens(static_cast<size_t>(B * K), options.bos);  // each row's last token

  for (int64_t step = 1; !active.empty(); ++step) {
    const Tensor logits = model.decode_step(from_vector(tokens), *state);  // (A·K, V)
    const Tensor log_probs = raw::contiguous(log_softmax(logits, 1));      // (A·K, V)
    std::vector<int64_t> continuing, rows;
    tokens.clear();
    for (size_t a = 0; a < active.size(); ++a) {
      Sentence& s = sentences[static_cast<size_t>(active[a])];
      Successors next = select_successors(expand(log_probs, a, s, K), s, step, K, options);
      if (is_over(s, next, step, K)) {
        retire(s, next, step, K, options.length_penalty);
        continue;
      }
      fill_with_placeholders(next, K);
      for (int64_t k = 0; k < K; ++k) {
        rows.push_back(static_cast<int64_t>(a) * K + next.parents[static_cast<size_t>(k)]);
        tokens.push_back(next.beams[static_cast<size_t>(k)].tokens.back());
      }
      s.live = std::move(next.beams);
      continuing.push_back(active[a]);
    }
    // 4. reorder. Beams move only within their sentence, so the source's rows need selecting
    // only when a sentence has left the batch.
    if (!continuing.empty()) state->select(from_vector(rows), continuing.size() != active.size());
    active = std::move(continuing);
  }
  return sentences;
}

}  // namespace

std::vector<std::vector<int64_t>> beam_search(Seq2Seq& model, const Tensor& src, const Tensor& src_padding,
                                              const DecodeOptions& options) {
  validate(options, "beam_search");
  std::vector<std::vector<int64_t>> out;
  for (const Sentence& s : search(model, src, src_padding, options)) {
    std::vector<ScoredHypothesis> best = best_finished(s, 1);
    out.push_back(best.empty() ? std::vector<int64_t>{} : std::move(best.front().ids));
  }
  return out;
}

std::vector<std::vector<ScoredHypothesis>> beam_search_n_best(Seq2Seq& model, const Tensor& src,
                                                              const Tensor& src_padding, const DecodeOptions& options,
                                                              int64_t n_best) {
  validate(options, "beam_search_n_best");
  check(n_best >= 1 && n_best <= options.beam_size,
        "beam_search_n_best: n_best {} is outside 1..beam_size ({}): a sentence's search stops once beam_size "
        "hypotheses have finished",
        n_best, options.beam_size);
  std::vector<std::vector<ScoredHypothesis>> out;
  for (const Sentence& s : search(model, src, src_padding, options)) out.push_back(best_finished(s, n_best));
  return out;
}

}  // namespace qkv::models
