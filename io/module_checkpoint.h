// module_checkpoint.h — save a Module's parameters and buffers to a safetensors file, and load
// them back into the same module, in place.
//
//   save_module("model.safetensors", model, {{"d_model", "64"}, {"layers", "2"}});
//   ...
//   Metadata config = load_module("model.safetensors", model);
//
// Tensors are stored under their dotted names (`encoder.layers.0.attn.w_q.weight`), parameters
// then buffers, in declaration order. Loading copies values into the module's existing tensors
// (raw::copy_), so optimizers and anything else holding those tensors stay valid. It first
// checks the whole checkpoint against the module — every name present, nothing unexpected,
// dtypes and shapes equal, every floating-point value finite (a NaN or Inf weight would load and
// give plausible, wrong translations) — and reports every problem at once, naming each tensor
// with the expected and found dtype/shape or its first non-finite element; on any problem
// nothing in the module is modified.
//
// Not here: generator states, optimizer state, partial (non-strict) loading.
#pragma once

#include <string>

#include "io/safetensors.h"
#include "nn/module.h"

namespace qkv {

void save_module(const std::string& path, Module& module, const Metadata& metadata = {});

// Loads `path` into `module`; returns the file's metadata.
Metadata load_module(const std::string& path, Module& module);
// The same from a checkpoint already in memory, e.g. when its metadata chose the module's shape.
void load_module(const Checkpoint& checkpoint, Module& module);

}  // namespace qkv
