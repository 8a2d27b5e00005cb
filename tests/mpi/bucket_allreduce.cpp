// bucket_allreduce.cpp — GradientBuckets over real MPI ranks (run by ctest under
// `mpirun -np 2` and `-np 3`; see tests/CMakeLists.txt). Exits 1 naming the first mismatch.
//
// Parameters of uneven sizes (1 to 300,001 elements, float32 and float64 mixed), bucket limits
// from "one bucket" to "every parameter alone", and for each:
//   * gradients set by hand on each rank (rank r, parameter k, element i → a value that differs
//     per rank); one parameter has a gradient on rank 0 only, one on no rank;
//   * gradients left by a real backward, the buckets started from the backward hook;
// the result must equal the sum over ranks computed here (exact: the values are integers, or
// small multiples of powers of two), and a parameter no rank gave a gradient must stay without;
//   * random gradients (where summation order shows): every rank must get the same bits, as
//     data-parallel training assumes (each rank takes its optimizer step from its own copy).
// Then Distributed::exchange with lists of uneven lengths (none included) between every pair of
// ranks, and RankCorpus (train/rank_corpus.h): every rank knows every pair's lengths, and a
// batch fetched from the owners equals the batch of the whole corpus encoded in one place.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "autograd/node.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/reduce.h"
#include "tensor/factories.h"
#include "tensor/random.h"
#include "train/codec_factory.h"
#include "train/distributed.h"
#include "train/gradient_buckets.h"
#include "train/rank_corpus.h"

using namespace qkv;
using train::Distributed;
using train::GradientBuckets;

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (ok) return;
  ++failures;
  fmt::print(stderr, "{}FAILED: {}\n", train::rank_prefix(), what);
}

double value(int rank, size_t k, int64_t i) {
  return static_cast<double>((rank + 1) * 1000 + static_cast<int64_t>(k) * 7 + i % 13);
}

std::vector<Tensor> make_params() {
  const std::vector<std::pair<int64_t, Dtype>> specs = {
      {1, Dtype::float32},  {1000, Dtype::float32}, {3, Dtype::float32},  {300001, Dtype::float32},
      {17, Dtype::float64}, {5000, Dtype::float64}, {64, Dtype::float32}, {2, Dtype::float32}};
  std::vector<Tensor> params;
  for (const auto& [n, dtype] : specs) {
    Tensor p = zeros(Shape{n}, dtype);
    p.requires_grad_();
    params.push_back(p);
  }
  return params;
}

double element(const Tensor& t, int64_t i) {
  return t.dtype() == Dtype::float32 ? t.data<float>()[i] : t.data<double>()[i];
}

// Gradients by hand: parameter 2 only on rank 0, parameter 7 on no rank.
void check_hand_set(Distributed& d, int64_t bucket_bytes) {
  std::vector<Tensor> params = make_params();
  GradientBuckets buckets(params, d, bucket_bytes);
  {
    const LeafDoneHook hook = buckets.watch_backward();
    for (size_t k = 0; k < params.size(); ++k) {
      if (k == 7 || (k == 2 && d.rank() != 0)) continue;
      Tensor g = zeros(params[k].shape(), params[k].dtype());
      for (int64_t i = 0; i < g.numel(); ++i) {
        if (g.dtype() == Dtype::float32)
          g.data<float>()[i] = static_cast<float>(value(d.rank(), k, i));
        else
          g.data<double>()[i] = value(d.rank(), k, i);
      }
      params[k].autograd_meta()->grad = g;
    }
  }
  buckets.finish();
  const std::string where = fmt::format("bucket_bytes {} ({} buckets)", bucket_bytes, buckets.buckets().size());
  for (size_t k = 0; k < params.size(); ++k) {
    const Tensor g = params[k].grad();
    if (k == 7) {
      expect(!g.defined(), fmt::format("{}: parameter 7 had no gradient on any rank but got one", where));
      continue;
    }
    expect(g.defined(), fmt::format("{}: parameter {} has no gradient", where, k));
    if (!g.defined()) continue;
    for (int64_t i = 0; i < g.numel(); ++i) {
      double want = 0;
      for (int r = 0; r < d.size(); ++r) want += (k == 2 && r != 0) ? 0 : value(r, k, i);
      if (element(g, i) != want) {
        expect(false, fmt::format("{}: parameter {} element {}: {} != {}", where, k, i, element(g, i), want));
        break;
      }
    }
  }
}

// Gradients from a backward pass: loss = Σ_k (rank + 1) · (k + 1) · Σ p_k, so every element of
// p_k's summed gradient is (k + 1) · Σ_r (r + 1).
void check_backward(Distributed& d, int64_t bucket_bytes) {
  std::vector<Tensor> params = make_params();
  GradientBuckets buckets(params, d, bucket_bytes);
  {
    const LeafDoneHook hook = buckets.watch_backward();
    Tensor loss32, loss64;  // one backward per dtype; each parameter is in one of them
    for (size_t k = 0; k < params.size(); ++k) {
      const Tensor term = sum(params[k]) * static_cast<double>((d.rank() + 1) * (k + 1));
      Tensor& loss = term.dtype() == Dtype::float32 ? loss32 : loss64;
      loss = loss.defined() ? loss + term : term;
    }
    loss32.backward();
    loss64.backward();
  }
  buckets.finish();
  const double ranks_sum = d.size() * (d.size() + 1) / 2.0;
  for (size_t k = 0; k < params.size(); ++k) {
    const Tensor g = params[k].grad();
    const double want = static_cast<double>(k + 1) * ranks_sum;
    expect(g.defined() && element(g, 0) == want && element(g, g.numel() - 1) == want,
           fmt::format("backward, bucket_bytes {}: parameter {}: {} != {}", bucket_bytes, k,
                       g.defined() ? element(g, 0) : -1.0, want));
  }
}

// Random float32 gradients, different per rank: the sums must be bit-identical on every rank.
void check_same_bits_everywhere(Distributed& d) {
  std::vector<Tensor> params = make_params();
  GradientBuckets buckets(params, d, 4096);
  Generator gen(static_cast<uint64_t>(d.rank()) + 17);
  {
    const LeafDoneHook hook = buckets.watch_backward();
    for (Tensor& p : params) p.autograd_meta()->grad = randn(p.shape(), gen, p.dtype());
  }
  buckets.finish();
  for (size_t k = 0; k < params.size(); ++k) {
    const Tensor g = params[k].grad();
    std::vector<double> mine(static_cast<size_t>(g.numel())), root;
    for (int64_t i = 0; i < g.numel(); ++i) mine[static_cast<size_t>(i)] = element(g, i);
    root = mine;
    d.broadcast_from_root(root);
    expect(mine == root, fmt::format("random gradients: parameter {}'s sum differs from rank 0's", k));
  }
}

// Rank r sends rank q the list r·1000 + q·10 + k, k < (3r + q) mod 5: lengths 0 to 4.
void check_exchange(Distributed& d) {
  const auto n = static_cast<size_t>(d.size());
  std::vector<std::vector<int64_t>> to_each(n);
  for (size_t q = 0; q < n; ++q) {
    for (int64_t k = 0; k < (3 * d.rank() + static_cast<int64_t>(q)) % 5; ++k)
      to_each[q].push_back(d.rank() * 1000 + static_cast<int64_t>(q) * 10 + k);
  }
  const std::vector<std::vector<int64_t>> from_each = d.exchange(to_each);
  expect(from_each.size() == n, fmt::format("exchange: {} lists back from {} ranks", from_each.size(), n));
  for (size_t q = 0; q < from_each.size(); ++q) {
    std::vector<int64_t> want;
    for (int64_t k = 0; k < (3 * static_cast<int64_t>(q) + d.rank()) % 5; ++k)
      want.push_back(static_cast<int64_t>(q) * 1000 + d.rank() * 10 + k);
    expect(from_each[q] == want, fmt::format("exchange: the list from rank {} is wrong", q));
  }
}

// 23 pairs of made-up sentences; each rank fetches its own list of pairs, owned by every rank.
void check_rank_corpus(Distributed& d) {
  data::ParallelCorpus text;
  for (int i = 0; i < 23; ++i) {
    std::string s, t;
    for (int w = 0; w <= (i * 7) % 9; ++w) s += fmt::format("s{} ", (i + w) % 6);
    for (int w = 0; w <= (i * 5) % 11; ++w) t += fmt::format("t{} ", (i * w) % 8);
    text.source.push_back(s);
    text.target.push_back(t);
  }
  train::TrainOptions o;
  o.min_freq = 1;
  const train::TextCodecs codecs = train::learn_codecs(o, text);
  const data::PairsInMemory pairs(text);
  const train::RankCorpus corpus(pairs, *codecs.source, *codecs.target, d);
  const data::EncodedCorpus whole = data::encode_compact(pairs, codecs.source->tokenizer(), codecs.target->tokenizer(),
                                                         codecs.source->vocab(), codecs.target->vocab());
  expect(corpus.size() == whole.size(), fmt::format("RankCorpus: {} pairs, not {}", corpus.size(), whole.size()));
  for (size_t i = 0; i < whole.size() && i < corpus.size(); ++i) {
    expect(corpus.lengths().source_length(i) == whole.source_length(i) &&
               corpus.lengths().target_length(i) == whole.target_length(i),
           fmt::format("RankCorpus: the lengths of pair {}", i));
  }
  for (int round = 0; round < 3; ++round) {
    std::vector<int64_t> indices;  // rank 1 asks for nothing in round 1
    if (!(round == 1 && d.rank() == 1)) {
      for (int64_t k = 0; k < 9; ++k) indices.push_back((d.rank() * 5 + round * 3 + k * 4) % 23);
    }
    const std::optional<data::Batch> fetched = corpus.fetch_batch(indices);
    expect(fetched.has_value() == !indices.empty(), fmt::format("RankCorpus round {}: a batch for no pairs", round));
    if (!fetched) continue;
    const data::Batch want = data::make_batch(whole, indices);
    expect(fetched->indices == indices && to_vector<int64_t>(fetched->source) == to_vector<int64_t>(want.source) &&
               to_vector<int64_t>(fetched->target_in) == to_vector<int64_t>(want.target_in) &&
               to_vector<int64_t>(fetched->target_out) == to_vector<int64_t>(want.target_out) &&
               fetched->target_tokens == want.target_tokens,
           fmt::format("RankCorpus round {}: the fetched batch differs from the whole corpus's", round));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const train::DistributedSession session(argc, argv);
  Distributed& d = train::distributed();
  if (d.size() < 2) {
    fmt::print(stderr, "bucket_allreduce: run me under mpirun -np 2 or more (got {} rank)\n", d.size());
    return 1;
  }
  for (const int64_t bucket_bytes : {int64_t{0}, int64_t{1}, int64_t{4096}, int64_t{1} << 20}) {
    check_hand_set(d, bucket_bytes);
    check_backward(d, bucket_bytes);
  }
  check_same_bits_everywhere(d);
  check_exchange(d);
  check_rank_corpus(d);
  double total[1] = {static_cast<double>(failures)};
  d.sum(total);
  if (d.is_root()) fmt::print("bucket_allreduce: {} ranks, {} failures\n", d.size(), total[0]);
  return total[0] == 0 ? 0 : 1;
}
