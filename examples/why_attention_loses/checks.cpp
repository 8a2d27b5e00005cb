// checks.cpp — the checks of checks.h.
#include "checks.h"

#include <cmath>
#include <map>

namespace why {

using namespace qkv;

namespace {

constexpr double kTolerance = 1e-4;

// Largest |a - b| over rows (B, T, ...) where keep[b][t] is true, relative to the largest |b|
// there (at least 1): float32 rounding grows with the values' size, and a wrong init makes them
// large, so an absolute bound would fail a correct attention on some BLAS kernels and not on
// others. NaN if any compared value is NaN (so a NaN never passes).
double max_diff(const Tensor& a, const Tensor& b, const std::vector<std::vector<bool>>& keep) {
  const std::vector<float> x = to_vector<float>(contiguous(a)), y = to_vector<float>(contiguous(b));
  const int64_t rows = a.size(1), width = a.numel() / (a.size(0) * a.size(1));
  double worst = 0, scale = 1;
  for (int64_t i = 0; i < a.size(0); ++i)
    for (int64_t t = 0; t < rows; ++t) {
      if (!keep[i][t]) continue;
      for (int64_t k = 0; k < width; ++k) {
        const size_t at = (i * rows + t) * width + k;
        const double d = std::abs(static_cast<double>(x[at]) - y[at]);
        if (std::isnan(d)) return NAN;
        worst = std::max(worst, d);
        scale = std::max(scale, std::abs(static_cast<double>(y[at])));
      }
    }
  return worst / scale;
}

// keep[b][t] = position t of row b is not padding.
std::vector<std::vector<bool>> real_positions(const Tensor& is_pad) {
  const std::vector<int64_t> pad = to_vector<int64_t>(raw::to_dtype(is_pad, Dtype::int64));
  std::vector<std::vector<bool>> keep(is_pad.size(0), std::vector<bool>(is_pad.size(1)));
  for (int64_t b = 0; b < is_pad.size(0); ++b)
    for (int64_t t = 0; t < is_pad.size(1); ++t) keep[b][t] = pad[b * is_pad.size(1) + t] == 0;
  return keep;
}

CheckResult verdict(std::string name, double diff) {
  return {std::move(name), diff < kTolerance, fmt::format("max |diff| {:.1e} of the largest value", diff)};
}

// Copies and restores every random stream of a module (dropout's), so checks draw nothing.
struct GeneratorSnapshot : ModuleVisitor {
  std::vector<Generator> saved;
  bool restoring = false;
  size_t next = 0;
  void generator(std::string_view, Generator& gen) override {
    if (restoring)
      gen = saved.at(next++);
    else
      saved.push_back(gen);
  }
};

CheckResult reference_check(HandAttention& hand, const ModelShape& shape, const Recipe& recipe) {
  MultiHeadAttentionConfig config;
  config.embed_dim = shape.d_model;
  config.num_heads = shape.heads;
  MultiHeadAttention mha(config);
  std::map<std::string, Tensor> theirs;
  for (auto& [name, p] : mha.named_parameters()) theirs[name] = p;
  for (auto& [name, p] : hand.named_parameters()) raw::copy_(theirs.at(name), p);
  mha.eval();

  Generator gen(7);
  const int64_t b = 3, s = 6, t = 4;
  const Tensor x = randn({b, s, shape.d_model}, gen);         // (B, S, D)
  const Tensor y = randn({b, t, shape.d_model}, gen);         // (B, T, D)
  const Tensor is_pad = from_vector<bool>({0, 0, 0, 0, 0, 0,  //
                                           0, 0, 0, 0, 1, 1,  //
                                           0, 0, 0, 1, 1, 1},
                                          {b, s});
  const auto keep_s = real_positions(is_pad);
  const std::vector<std::vector<bool>> keep_t(b, std::vector<bool>(t, true));

  double worst = 0;
  const auto compare = [&](double d) { worst = std::isnan(d) || std::isnan(worst) ? NAN : std::max(worst, d); };
  compare(max_diff(hand.forward(x, x, recipe.masks.encoder_self(is_pad)),
                   mha.forward(x, x, x, AttentionMask::key_padding(is_pad)).out, keep_s));
  compare(max_diff(hand.forward(x, x, recipe.masks.decoder_self(is_pad)),
                   mha.forward(x, x, x, AttentionMask::causal() & AttentionMask::key_padding(is_pad)).out, keep_s));
  compare(max_diff(hand.forward(y, x, recipe.masks.cross(is_pad)),
                   mha.forward(y, x, x, AttentionMask::key_padding(is_pad)).out, keep_t));
  return verdict("reference", worst);
}

CheckResult causal_check(HandTransformer& model, const data::Batch& batch) {
  const int64_t cut = 3;  // tokens from position 3 on are replaced
  const Tensor src = raw::narrow(batch.source, 0, 0, 2), pad = raw::narrow(batch.source_padding, 0, 0, 2);
  const Tensor tgt = raw::narrow(batch.target_in, 0, 0, 2).clone();  // (2, T)
  Tensor changed = tgt.clone();
  int64_t* ids = changed.data<int64_t>();
  const int64_t width = tgt.size(1);
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = cut; j < width; ++j) ids[i * width + j] = 5 + (ids[i * width + j] + 1) % 100;
  std::vector<std::vector<bool>> keep(2, std::vector<bool>(width, false));
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < cut && j < width; ++j) keep[i][j] = true;
  return verdict("causal", max_diff(model.forward(src, pad, tgt), model.forward(src, pad, changed), keep));
}

CheckResult padding_check(HandTransformer& model, const std::vector<data::Example>& examples) {
  // Sentence 0 alone, then beside the first sentence longer on both sides (so 0 gets padded).
  int64_t partner = 1;
  while (examples.at(partner).source.size() <= examples[0].source.size() ||
         examples[partner].target.size() <= examples[0].target.size())
    ++partner;
  const data::Batch alone = data::make_batch(examples, {0});
  const data::Batch padded = data::make_batch(examples, {0, partner});
  const Tensor a = model.forward(alone.source, alone.source_padding, alone.target_in);  // (1, T0, V)
  const Tensor b = model.forward(padded.source, padded.source_padding, padded.target_in);
  const Tensor b0 = raw::narrow(raw::narrow(b, 0, 0, 1), 1, 0, a.size(1));  // row 0, its own positions
  const std::vector<std::vector<bool>> keep(1, std::vector<bool>(a.size(1), true));
  return verdict("padding", max_diff(a, b0, keep));
}

CheckResult finite_check(HandTransformer& model, const data::Batch& batch) {
  const Tensor logits = model.forward(batch.source, batch.source_padding, batch.target_in);
  const Tensor loss = cross_entropy(logits, batch.target_out, {.ignore_index = data::Vocab::kPad});
  loss.backward();
  const double norm = grad_norm(model.parameters());
  model.zero_grad();
  const bool ok = std::isfinite(loss.item()) && std::isfinite(norm);
  return {"finite", ok, fmt::format("loss {:.3f}, gradient norm {:.3g}", loss.item(), norm)};
}

CheckResult init_check(HandTransformer& model, const data::Batch& batch) {
  HandAttention& attn = model.first_encoder_layer().self_attn();
  const Tensor x = model.embed_source(batch.source);  // (B, S, D), eval: no dropout
  const int64_t b = x.size(0), s = x.size(1), h = attn.heads(), dh = x.size(2) / h;
  const Tensor q = transpose(reshape(attn.q_proj()(x), {b, s, h, dh}), 1, 2);  // (B, H, S, Dh)
  const Tensor k = transpose(reshape(attn.k_proj()(x), {b, s, h, dh}), 1, 2);
  Tensor scores = matmul(q, transpose(k, -2, -1)) * (1.0 / std::sqrt(static_cast<double>(dh)));
  scores = masked_fill(scores, raw::logical_not(over_keys(raw::logical_not(batch.source_padding))), -INFINITY);
  const std::vector<float> top = to_vector<float>(max(softmax(scores, -1), -1));  // (B, H, S)
  const auto keep = real_positions(batch.source_padding);
  double total = 0;
  int64_t rows = 0;
  for (int64_t i = 0; i < b; ++i)
    for (int64_t head = 0; head < h; ++head)
      for (int64_t t = 0; t < s; ++t)
        if (keep[i][t]) total += top[(i * h + head) * s + t], ++rows;
  const double mean_top = total / static_cast<double>(rows);
  return {"init", mean_top < 0.9, fmt::format("mean largest weight {:.2f}", mean_top)};
}

}  // namespace

std::vector<CheckResult> run_checks(HandTransformer& model, const Recipe& recipe, const ModelShape& shape,
                                    const std::vector<data::Example>& examples, const data::Batch& batch) {
  GeneratorSnapshot snapshot;
  model.visit(snapshot);
  std::vector<CheckResult> results;
  {
    NoGradGuard no_grad;
    model.eval();
    results.push_back(reference_check(model.first_encoder_layer().self_attn(), shape, recipe));
    results.push_back(causal_check(model, batch));
    results.push_back(padding_check(model, examples));
    results.push_back(init_check(model, batch));
    model.train();
  }
  results.insert(results.end() - 1, finite_check(model, batch));
  snapshot.restoring = true;
  model.visit(snapshot);
  return results;
}

}  // namespace why
