// module.cpp — everything Module derives from walking `visit`.
#include "nn/module.h"

#include "tensor/factories.h"

namespace qkv {
namespace {

// Walks a module tree, calling `on_parameter` / `on_buffer` with dotted names.
class NamingVisitor : public ModuleVisitor {
 public:
  using Callback = std::function<void(const std::string&, Tensor&)>;
  NamingVisitor(Callback on_parameter, Callback on_buffer)
      : on_parameter_(std::move(on_parameter)), on_buffer_(std::move(on_buffer)) {}

  void parameter(std::string_view name, Tensor& value) override {
    if (on_parameter_) on_parameter_(prefix_ + std::string(name), value);
  }
  void buffer(std::string_view name, Tensor& value) override {
    if (on_buffer_) on_buffer_(prefix_ + std::string(name), value);
  }
  void module(std::string_view name, Module& child) override {
    const std::string saved = prefix_;
    prefix_ += std::string(name) + ".";
    child.visit(*this);
    prefix_ = saved;
  }

 private:
  Callback on_parameter_;
  Callback on_buffer_;
  std::string prefix_;
};

// Applies `f` to a module and, depth first in declaration order, to all of its submodules.
void for_each_module(Module& root, const std::function<void(Module&)>& f) {
  struct Walker : ModuleVisitor {
    const std::function<void(Module&)>& f;
    explicit Walker(const std::function<void(Module&)>& fn) : f(fn) {}
    void module(std::string_view, Module& child) override {
      f(child);
      child.visit(*this);
    }
  } walker(f);
  f(root);
  root.visit(walker);
}

}  // namespace

void ModuleVisitor::module(std::string_view name, Module& child) { child.visit(*this); }

void Module::reset_parameters(Generator& gen) {
  // Children first, then this module, so a parent can adjust what its children set up
  // (MultiHeadAttention re-initialises its projections the way torch does).
  struct Resetter : ModuleVisitor {
    Generator& gen;
    explicit Resetter(Generator& g) : gen(g) {}
    void module(std::string_view, Module& child) override { child.reset_parameters(gen); }
  } resetter(gen);
  visit(resetter);
  reset_own_parameters(gen);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() {
  std::vector<std::pair<std::string, Tensor>> out;
  NamingVisitor v([&](const std::string& name, Tensor& t) { out.emplace_back(name, t); }, nullptr);
  visit(v);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() {
  std::vector<std::pair<std::string, Tensor>> out;
  NamingVisitor v(nullptr, [&](const std::string& name, Tensor& t) { out.emplace_back(name, t); });
  visit(v);
  return out;
}

std::vector<Tensor> Module::parameters() {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

int64_t Module::parameter_count() {
  int64_t n = 0;
  for (auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

void Module::train(bool on) {
  for_each_module(*this, [&](Module& m) { m.training_ = on; });
}

void Module::zero_grad() {
  for (auto& [name, t] : named_parameters()) t.zero_grad();
}

Tensor make_parameter(const Shape& shape, Dtype dtype) { return zeros(shape, dtype).requires_grad_(); }

}  // namespace qkv
