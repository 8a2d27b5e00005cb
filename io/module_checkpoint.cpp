// module_checkpoint.cpp — Module <-> safetensors: validate everything, then copy in place.
#include "io/module_checkpoint.h"

#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "tensor/elementwise.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// "" if every element of a floating-point t is finite, else where the first one is not.
std::string first_non_finite(const Tensor& t) {
  if (!is_floating(t.dtype())) return "";
  const Tensor c = raw::contiguous(t);
  std::string found;
  dispatch_floating("load_module", c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = c.data<T>();
    int64_t bad = 0, first = -1;
    for (int64_t i = 0; i < c.numel(); ++i) {
      if (!std::isfinite(p[i])) {
        if (first < 0) first = i;
        ++bad;
      }
    }
    if (first >= 0) {
      found = fmt::format("{} non-finite value{} (the first, {}, at flat index {})", bad, bad == 1 ? "" : "s",
                          static_cast<double>(p[first]), first);
    }
  });
  return found;
}

// Parameters then buffers, by dotted name.
NamedTensors module_tensors(Module& module) {
  NamedTensors out = module.named_parameters();
  for (auto& nt : module.named_buffers()) out.push_back(std::move(nt));
  return out;
}

}  // namespace

void save_module(const std::string& path, Module& module, const Metadata& metadata) {
  save_safetensors(path, module_tensors(module), metadata);
}

void load_module(const Checkpoint& checkpoint, Module& module) {
  const NamedTensors expected = module_tensors(module);
  std::map<std::string_view, const Tensor*> found;
  for (const auto& [name, t] : checkpoint.tensors) found.emplace(name, &t);

  std::vector<std::string> problems;
  std::set<std::string_view> wanted;
  for (const auto& [name, dst] : expected) {
    wanted.insert(name);
    const auto it = found.find(name);
    if (it == found.end()) {
      problems.push_back(fmt::format("missing tensor '{}' (expected {} {})", name, dst.dtype(), dst.shape()));
      continue;
    }
    const Tensor& src = *it->second;
    if (src.dtype() != dst.dtype() || !(src.shape() == dst.shape())) {
      problems.push_back(fmt::format("tensor '{}': expected {} {}, found {} {}", name, dst.dtype(), dst.shape(),
                                     src.dtype(), src.shape()));
    } else if (const std::string bad = first_non_finite(src); !bad.empty()) {
      problems.push_back(fmt::format("tensor '{}' holds {}", name, bad));
    }
  }
  for (const auto& [name, t] : checkpoint.tensors) {
    if (!wanted.contains(name)) {
      problems.push_back(
          fmt::format("unexpected tensor '{}' ({} {}) that the module does not have", name, t.dtype(), t.shape()));
    }
  }
  if (!problems.empty()) {
    throw Error(fmt::format("load_module '{}': the checkpoint does not match the module; nothing was loaded:\n  {}",
                            checkpoint.path, fmt::join(problems, "\n  ")));
  }
  for (const auto& [name, dst] : expected) raw::copy_(dst, *found.at(name));
}

Metadata load_module(const std::string& path, Module& module) {
  Checkpoint checkpoint = load_safetensors(path);
  load_module(checkpoint, module);
  return std::move(checkpoint.metadata);
}

}  // namespace qkv
