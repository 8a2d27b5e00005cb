// safetensors.h — named tensors to and from files in the safetensors format, which numpy,
// PyTorch and the Hugging Face tools read.
//
// The format: 8 bytes, a little-endian uint64 N; N bytes of JSON header
//   {"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...,
//    "__metadata__": {"d_model": "64", ...}}
// then the data section, every tensor's bytes, row-major and little-endian, at its offsets
// (relative to the start of the data section). qkv reads and writes F32, F64, I64 and BOOL.
//
//   save_safetensors("w.safetensors", {{"w", w}, {"b", b}}, {{"epoch", "3"}});
//   Checkpoint ck = load_safetensors("w.safetensors");
//   Tensor w2 = ck.at("w");  std::string epoch = ck.metadata.at("epoch");
//
// Saving is atomic (io/atomic_file.h): a crash mid-save leaves the previous file intact.
// Loading validates the whole file before returning anything — sizes, offsets (in range, not
// overlapping, no holes, matching shape × itemsize), dtypes, names — and throws qkv::Error
// naming the file and the problem. Loaded tensors own fresh memory (no mmap), require no
// gradient and are contiguous. Saving a module: io/module_checkpoint.h.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace qkv {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
using Metadata = std::map<std::string, std::string>;

struct Checkpoint {
  // In the order the file's header lists them (for files qkv writes: the order they were saved).
  NamedTensors tensors;
  Metadata metadata;
  // The file it came from, for error messages.
  std::string path;

  bool contains(std::string_view name) const;
  // The tensor called `name`; throws naming the file and the names it does have.
  const Tensor& at(std::string_view name) const;
};

// Writes `tensors` (names unique, non-empty and not "__metadata__"; any strides: each is written
// contiguous) and `metadata` to `path`, atomically.
void save_safetensors(const std::string& path, const NamedTensors& tensors, const Metadata& metadata = {});

// Reads and validates a whole file. Throws qkv::Error naming the file on any problem.
Checkpoint load_safetensors(const std::string& path);

// The dtype names of the format ("F32", "F64", "I64", "BOOL").
std::string_view safetensors_dtype_name(Dtype dtype);

}  // namespace qkv
