// attention_pooling.cpp — Nadaraya–Watson kernel regression: attention pooling before
// Transformers (Dive into Deep Learning, "Attention Pooling").
//
// 50 training points x ~ U(0, 5), sorted, with y = 2·sin(x) + x^0.8 + ε, ε ~ N(0, 0.5²); test
// queries 0, 0.1, ..., 4.9. Three ways to predict y at a query x:
//
//   average pooling       ŷ = mean(yᵢ)                                  ignores the query
//   kernel pooling        ŷ = Σᵢ softmax(−(x − xᵢ)²/2)·yᵢ               non-parametric
//   learned kernel        ŷ = Σᵢ softmax(−((x − xᵢ)·w)²/2)·yᵢ           w trained by SGD
//
// The query x "attends" to the keys xᵢ, and the attention weights average the values yᵢ.
// Training (as in D2L): SGD with lr 0.5 on the summed squared loss, 5 epochs, each training
// point attending to all the OTHER training points (the diagonal of the weights is masked;
// otherwise w would grow without bound and every point would just copy its own y).
//
// Prints the losses and test errors and writes two SVG images:
//   <out-dir>/attention_pooling_fit.svg       the fits against the truth and the training data
//   <out-dir>/attention_pooling_weights.svg   attention weights, test queries × sorted keys
//
//   attention_pooling [--out-dir DIR] [--check]
//
// With --check it exits non-zero unless kernel pooling beats average pooling on test error and
// training lowered the loss (ctest runs it so). Not here: batching, a held-out validation set.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "optim/sgd.h"
#include "qkv.h"
#include "viz/heatmap.h"
#include "viz/line_plot.h"

using namespace qkv;

namespace {

constexpr int64_t kTrain = 50;
constexpr int kEpochs = 5;
constexpr double kLearningRate = 0.5;

float truth(float x) { return 2 * std::sin(x) + std::pow(x, 0.8f); }

struct Data {
  Tensor x_train, y_train;  // [50], x sorted
  Tensor x_test, y_truth;   // [50]: 0, 0.1, ..., 4.9 and the noiseless f there
};

Data make_data(Generator& gen) {
  std::vector<float> x = to_vector<float>(rand({kTrain}, gen, Dtype::float32, 0, 5));
  std::sort(x.begin(), x.end());
  const std::vector<float> noise = to_vector<float>(randn({kTrain}, gen, Dtype::float32, 0, 0.5));
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = truth(x[i]) + noise[i];
  std::vector<float> x_test, y_truth;
  for (int i = 0; i < 50; ++i) {
    x_test.push_back(static_cast<float>(i) * 0.1f);
    y_truth.push_back(truth(x_test.back()));
  }
  return {from_vector(x), from_vector(y), from_vector(x_test), from_vector(y_truth)};
}

// weights[q, k] = softmax over k of −((query_q − key_k)·w)²/2, with masked pairs left out.
// `w` may be undefined (width 1: the non-parametric kernel); `mask` [queries, keys] may be too.
Tensor attention_weights(const Tensor& queries, const Tensor& keys, const Tensor& w, const Tensor& mask) {
  Tensor d = unsqueeze(queries, 1) - unsqueeze(keys, 0);  // [queries, keys] by broadcasting
  if (w.defined()) d = d * w;
  Tensor scores = -(d * d) / 2.0;
  if (mask.defined()) scores = masked_fill(scores, mask, -std::numeric_limits<double>::infinity());
  return softmax(scores, 1);
}

// The weighted average of the values for each query: weights [queries, keys] · values [keys].
Tensor pool(const Tensor& weights, const Tensor& values) { return squeeze(matmul(weights, unsqueeze(values, 1)), 1); }

double mse(const Tensor& prediction, const Tensor& target) { return mean(pow(prediction - target, 2.0)).item(); }

// True on the diagonal: a training point must not attend to itself.
Tensor diagonal_mask(int64_t n) {
  std::vector<bool> m(static_cast<size_t>(n * n), false);
  for (int64_t i = 0; i < n; ++i) m[static_cast<size_t>(i * n + i)] = true;
  return from_vector<bool>(m, {n, n});
}

std::vector<std::string> labels(const Tensor& values, const char* format) {
  std::vector<std::string> out;
  for (float v : to_vector<float>(values)) out.push_back(fmt::format(fmt::runtime(format), v));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir = ".";
  bool check_mode = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--check") {
      check_mode = true;
    } else if (arg == "--out-dir" && i + 1 < argc) {
      out_dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: attention_pooling [--out-dir DIR] [--check]\n");
      return 2;
    }
  }

  Generator gen(42);
  const Data data = make_data(gen);

  // ---- Average pooling and the non-parametric kernel: nothing to train -----------------------
  Tensor y_average, kernel_weights, y_kernel;
  {
    NoGradGuard no_grad;
    y_average = full({50}, mean(data.y_train).item());
    kernel_weights = attention_weights(data.x_test, data.x_train, Tensor(), Tensor());
    y_kernel = pool(kernel_weights, data.y_train);
  }

  // ---- The parametric kernel: one learnable width w, trained with SGD --------------------------
  Tensor w = rand({1}, gen).requires_grad_();
  SGD optimizer({w}, {.lr = kLearningRate});
  const Tensor mask = diagonal_mask(kTrain);
  auto training_loss = [&] {
    const Tensor prediction = pool(attention_weights(data.x_train, data.x_train, w, mask), data.y_train);
    return sum(pow(prediction - data.y_train, 2.0));  // squared loss, summed over the points
  };
  std::vector<double> losses;
  fmt::print("learned kernel: w = {:.4f} before training\n", w.item());
  for (int epoch = 1; epoch <= kEpochs; ++epoch) {
    optimizer.zero_grad();
    const Tensor loss = training_loss();
    loss.backward();
    optimizer.step();
    losses.push_back(loss.item());
    fmt::print("epoch {}, loss {:.6f}, w {:.4f}\n", epoch, losses.back(), w.item());
  }
  Tensor learned_weights, y_learned;
  double final_loss = 0;
  {
    NoGradGuard no_grad;
    final_loss = training_loss().item();
    learned_weights = attention_weights(data.x_test, data.x_train, w, Tensor());
    y_learned = pool(learned_weights, data.y_train);
  }
  fmt::print("loss after training {:.6f}\n\n", final_loss);

  const double mse_average = mse(y_average, data.y_truth);
  const double mse_kernel = mse(y_kernel, data.y_truth);
  const double mse_learned = mse(y_learned, data.y_truth);
  fmt::print("test mean squared error against the noiseless truth:\n");
  fmt::print("  average pooling     {:.4f}\n", mse_average);
  fmt::print("  kernel pooling      {:.4f}\n", mse_kernel);
  fmt::print("  learned kernel      {:.4f}  (w = {:.3f}: a narrower kernel)\n", mse_learned, w.item());

  // ---- Images ---------------------------------------------------------------------------------
  std::filesystem::create_directories(out_dir);
  viz::LinePlot fit{.title = "Nadaraya-Watson attention pooling", .x_label = "x", .y_label = "y"};
  fit.series.push_back(viz::line_series("truth", data.x_test, data.y_truth));
  fit.series.push_back(viz::line_series("average pooling", data.x_test, y_average));
  fit.series.back().dashed = true;
  fit.series.push_back(viz::line_series("kernel pooling", data.x_test, y_kernel));
  fit.series.push_back(viz::line_series(fmt::format("learned kernel (w={:.2f})", w.item()), data.x_test, y_learned));
  fit.series.push_back(viz::scatter_series("training data", data.x_train, data.y_train));
  const std::string fit_path = (std::filesystem::path(out_dir) / "attention_pooling_fit.svg").string();
  viz::save_line_plot(fit_path, fit);

  viz::HeatmapFigure heat{
      .title = "attention weights", .x_label = "sorted training inputs (keys)", .y_label = "test inputs (queries)"};
  const std::vector<std::string> query_labels = labels(data.x_test, "{:.1f}");
  const std::vector<std::string> key_labels = labels(data.x_train, "{:.2f}");
  heat.panels.push_back({"Gaussian kernel (w = 1)", kernel_weights, query_labels, key_labels});
  heat.panels.push_back(
      {fmt::format("learned width (w = {:.2f})", w.item()), learned_weights, query_labels, key_labels});
  heat.columns = 2;
  heat.shared_scale = false;  // the wide kernel's weights are all small: give each panel its own scale
  const std::string heat_path = (std::filesystem::path(out_dir) / "attention_pooling_weights.svg").string();
  viz::save_heatmaps(heat_path, heat);
  fmt::print("\nwrote {} and {}\n", fit_path, heat_path);

  if (!check_mode) return 0;
  bool ok = true;
  if (!(mse_kernel < mse_average)) {
    fmt::print("CHECK FAILED: kernel pooling ({:.4f}) does not beat average pooling ({:.4f})\n", mse_kernel,
               mse_average);
    ok = false;
  }
  if (!(final_loss < losses.front())) {
    fmt::print("CHECK FAILED: training did not lower the loss ({:.4f} -> {:.4f})\n", losses.front(), final_loss);
    ok = false;
  }
  fmt::print("{}\n", ok ? "check passed" : "check failed");
  return ok ? 0 : 1;
}
