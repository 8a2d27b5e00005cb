// layers.h — the small layers: LayerNorm, Dropout, activations, Sequential, FeedForward.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/functional.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "tensor/enum_names.h"

namespace qkv {

// Normalises the last dimension (of size `dim`), then scales and shifts (weight 1, bias 0 at reset).
class LayerNorm : public UnaryModule {
 public:
  explicit LayerNorm(int64_t dim, double eps = 1e-5, bool affine = true, Dtype dtype = Dtype::float32);
  Tensor forward(const Tensor& x) override;  // (..., dim) -> (..., dim)
  void visit(ModuleVisitor& v) override;

 protected:
  void reset_own_parameters(Generator& gen) override;

 private:
  double eps_;
  Tensor weight_;
  Tensor bias_;
};

// Zeroes elements with probability p while training; owns its random stream (seeded at reset).
class Dropout : public UnaryModule {
 public:
  explicit Dropout(double p);
  Tensor forward(const Tensor& x) override;
  // forward(relu(x)) in one pass, drawing the same mask (nn/functional.h: relu_dropout).
  Tensor after_relu(const Tensor& x);
  void visit(ModuleVisitor& v) override { v.generator("rng", rng_); }
  double p() const { return p_; }

 protected:
  void reset_own_parameters(Generator& gen) override { rng_ = Generator(gen.next_u64()); }

 private:
  double p_;
  Generator rng_;
};

class ReLU : public UnaryModule {
 public:
  Tensor forward(const Tensor& x) override;
  void visit(ModuleVisitor&) override {}
};
class GELU : public UnaryModule {
 public:
  Tensor forward(const Tensor& x) override;
  void visit(ModuleVisitor&) override {}
};
class Tanh : public UnaryModule {
 public:
  Tensor forward(const Tensor& x) override;
  void visit(ModuleVisitor&) override {}
};
class Sigmoid : public UnaryModule {
 public:
  Tensor forward(const Tensor& x) override;
  void visit(ModuleVisitor&) override {}
};

// The feed-forward block's nonlinearity; its names ("relu", ...) are for the command line and
// checkpoint metadata (tensor/enum_names.h).
enum class Activation { relu, gelu, tanh, sigmoid };
constexpr EnumNames<Activation, 4> enum_names(Activation) {
  return {"activation",
          {{{Activation::relu, "relu"},
            {Activation::gelu, "gelu"},
            {Activation::tanh, "tanh"},
            {Activation::sigmoid, "sigmoid"}}}};
}

std::unique_ptr<UnaryModule> make_activation(Activation activation);

// Applies its layers in order; they are named "0", "1", ... in parameter names.
class Sequential : public UnaryModule {
 public:
  Sequential() = default;
  template <class Layer, class... Args>
  Layer& emplace(Args&&... args) {
    auto layer = std::make_unique<Layer>(std::forward<Args>(args)...);
    Layer& ref = *layer;
    layers_.push_back(std::move(layer));
    return ref;
  }
  void push_back(std::unique_ptr<UnaryModule> layer) { layers_.push_back(std::move(layer)); }
  Tensor forward(const Tensor& x) override;
  void visit(ModuleVisitor& v) override;
  size_t size() const { return layers_.size(); }

 private:
  std::vector<std::unique_ptr<UnaryModule>> layers_;
};

// The Transformer's position-wise feed-forward block: linear2(dropout(act(linear1(x)))), with
// ReLU and dropout as one op (relu_dropout) when the activation is ReLU.
// Parameter names match torch.nn.TransformerEncoderLayer: linear1, linear2.
class FeedForward : public UnaryModule {
 public:
  FeedForward(int64_t d_model, int64_t d_ff, double dropout = 0.0, Activation activation = Activation::relu,
              Dtype dtype = Dtype::float32);
  Tensor forward(const Tensor& x) override;  // (..., d_model) -> (..., d_model)
  void visit(ModuleVisitor& v) override;

 private:
  Linear linear1_;
  Activation activation_kind_;
  std::unique_ptr<UnaryModule> activation_;
  Dropout dropout_;
  Linear linear2_;
};

}  // namespace qkv
