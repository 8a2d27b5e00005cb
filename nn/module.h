// module.h — Module: the base of every layer and model.
//
// A module lists its parameters, buffers and submodules in exactly one place, its `visit`
// method, by name:
//
//   class Linear : public Module {
//     void visit(ModuleVisitor& v) override { v.parameter("weight", weight_); v.parameter("bias", bias_); }
//   };
//   class Block : public Module {
//     void visit(ModuleVisitor& v) override { v.module("attn", attn_); v.module("ffn", ffn_); }
//   };
//
// Everything else is derived from that walk: dotted names (`decoder.layers.1.ffn.linear1.weight`),
// parameters(), parameter_count(), train()/eval() reaching every submodule, zero_grad(),
// reset_parameters(). Nothing stores pointers to members, so modules can be moved freely (and
// cannot be copied by accident: a copy would share parameters silently).
//
// Shapes are fixed by the constructor, which allocates the parameters; values come from
// reset_parameters(gen), which draws them from an explicit, seeded generator.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace qkv {

class Module;

// Receives a module's named members. Override what you need; the defaults ignore.
class ModuleVisitor {
 public:
  virtual ~ModuleVisitor() = default;
  // A trainable tensor (a leaf with requires_grad).
  virtual void parameter(std::string_view name, Tensor& value) {}
  // Saved state that is not trained (e.g. a fixed positional encoding).
  virtual void buffer(std::string_view name, Tensor& value) {}
  // Random state owned by the module (e.g. dropout's), so training can save and restore it.
  virtual void generator(std::string_view name, Generator& gen) {}
  // A submodule; the default walks into it.
  virtual void module(std::string_view name, Module& child);
};

class Module {
 public:
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Lists parameters, buffers, generators and submodules: the one place they are declared.
  virtual void visit(ModuleVisitor& v) = 0;

  // Draws fresh values from `gen` for the submodules' parameters (in declaration order), then
  // for this module's own. Layers with parameters override reset_own_parameters.
  void reset_parameters(Generator& gen);

  // (dotted name, parameter) for every parameter, in declaration order.
  std::vector<std::pair<std::string, Tensor>> named_parameters();
  std::vector<std::pair<std::string, Tensor>> named_buffers();
  std::vector<Tensor> parameters();
  int64_t parameter_count();

  void train(bool on = true);
  void eval() { train(false); }
  bool training() const { return training_; }
  // Forgets the accumulated gradient of every parameter.
  void zero_grad();

 protected:
  Module() = default;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;
  // Initialises this module's own parameters (not its submodules'); default: nothing.
  virtual void reset_own_parameters(Generator& gen) {}

 private:
  bool training_ = true;
};

// A module with one tensor in and one tensor out, so it can sit in a Sequential.
class UnaryModule : public Module {
 public:
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
};

// A new leaf parameter of `shape` (zero-filled until reset_parameters draws its values).
Tensor make_parameter(const Shape& shape, Dtype dtype = Dtype::float32);

}  // namespace qkv
