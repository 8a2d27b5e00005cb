// functional.h — the stateless building blocks of layers and losses.
//
// layer_norm and cross_entropy are fused ops: one forward loop and one backward loop each,
// written out in nn/functional/*.cpp, rather than a chain of small ops (faster, and the
// backward formula can be read in one place); linear_cross_entropy makes its gradients in its
// forward loop, and its backward only scales them. softmax and log_softmax live in
// autograd/ops/reduce.h and are re-exported here.
#pragma once

#include "autograd/ops/reduce.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace qkv {

// Normalises over the last dimension: y = (x - mean)/√(var + eps)·weight + bias.
// x (..., D); weight and bias (D), either may be undefined (no affine part).
//   x̂ = (x - mean)·rstd;  dx = rstd·(g - mean(g) - x̂·mean(g·x̂)) with g = dy·weight
//   dweight = Σ dy·x̂;  dbias = Σ dy   (sums over all rows)
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps = 1e-5);

enum class Reduction { none, mean, sum };

struct CrossEntropyOptions {
  int64_t ignore_index = -100;            // targets equal to this contribute nothing
  double label_smoothing = 0.0;           // ε: target distribution (1-ε)·onehot + ε/C
  Reduction reduction = Reduction::mean;  // mean over the non-ignored targets
};

// Cross entropy of logits (..., C) — the class dimension LAST — against int64 targets (...).
// Fused with log_softmax and numerically stable.  dlogits = (softmax - target distribution)·dloss
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const CrossEntropyOptions& options = {});

// cross_entropy(linear(x, weight, bias), targets, options) as one op, for a model's output
// layer: x (..., D), weight (C, D), bias (C) or undefined, targets (...). The rows go through in
// chunks of chunk_rows (0: about 2²¹ logits each), so the (rows × C) logits are never held
// whole; the gradients are made in the forward pass and scaled by dloss in backward
// (nn/functional/linear_cross_entropy.cpp). Reduction::none is linear then cross_entropy.
Tensor linear_cross_entropy(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& targets,
                            const CrossEntropyOptions& options = {}, int64_t chunk_rows = 0);

// Mean (or sum, or elementwise) squared error.  dinput = 2(input - target)·dloss
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);

// Zeroes each element with probability p and scales the rest by 1/(1-p); identity when
// !training or p == 0.  dx = dy·mask/(1-p)
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen);

// dropout(relu(x), p, training, gen) in one pass, with the same result and the same draw from
// gen; backward keeps only the output (no mask, no relu output).  dx = dy·mask where x > 0
Tensor relu_dropout(const Tensor& x, double p, bool training, Generator& gen);

}  // namespace qkv
