// layers.cpp — LayerNorm, Dropout, activations, Sequential and FeedForward.
#include "nn/layers.h"

#include "autograd/ops/elementwise.h"
#include "nn/init.h"

namespace qkv {

LayerNorm::LayerNorm(int64_t dim, double eps, bool affine, Dtype dtype) : eps_(eps) {
  check(dim > 0, "LayerNorm: dim must be positive, got {}", dim);
  if (affine) {
    weight_ = make_parameter({dim}, dtype);
    bias_ = make_parameter({dim}, dtype);
  }
}

void LayerNorm::visit(ModuleVisitor& v) {
  if (!weight_.defined()) return;
  v.parameter("weight", weight_);
  v.parameter("bias", bias_);
}

void LayerNorm::reset_own_parameters(Generator&) {
  if (!weight_.defined()) return;
  init_constant_(weight_, 1.0);
  init_constant_(bias_, 0.0);
}

Tensor LayerNorm::forward(const Tensor& x) { return layer_norm(x, weight_, bias_, eps_); }

Dropout::Dropout(double p) : p_(p) { check(p >= 0 && p <= 1, "Dropout: probability {} is outside [0, 1]", p); }

Tensor Dropout::forward(const Tensor& x) { return dropout(x, p_, training(), rng_); }
Tensor Dropout::after_relu(const Tensor& x) { return relu_dropout(x, p_, training(), rng_); }

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor GELU::forward(const Tensor& x) { return gelu(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }

std::unique_ptr<UnaryModule> make_activation(Activation activation) {
  switch (activation) {
    case Activation::relu: return std::make_unique<ReLU>();
    case Activation::gelu: return std::make_unique<GELU>();
    case Activation::tanh: return std::make_unique<Tanh>();
    case Activation::sigmoid: return std::make_unique<Sigmoid>();
  }
  throw Error(fmt::format("make_activation: unknown activation {}", static_cast<int>(activation)));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& layer : layers_) h = layer->forward(h);
  return h;
}

void Sequential::visit(ModuleVisitor& v) {
  for (size_t i = 0; i < layers_.size(); ++i) v.module(std::to_string(i), *layers_[i]);
}

FeedForward::FeedForward(int64_t d_model, int64_t d_ff, double dropout, Activation activation, Dtype dtype)
    : linear1_(d_model, d_ff, true, dtype),
      activation_kind_(activation),
      activation_(make_activation(activation)),
      dropout_(dropout),
      linear2_(d_ff, d_model, true, dtype) {}

Tensor FeedForward::forward(const Tensor& x) {
  const Tensor h = linear1_(x);  // (..., d_ff)
  if (activation_kind_ == Activation::relu) return linear2_(dropout_.after_relu(h));
  return linear2_(dropout_(activation_->forward(h)));
}

void FeedForward::visit(ModuleVisitor& v) {
  v.module("linear1", linear1_);
  v.module("dropout", dropout_);
  v.module("linear2", linear2_);
}

}  // namespace qkv
