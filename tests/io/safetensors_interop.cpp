// safetensors_interop.cpp — the C++ half of the numpy/PyTorch interop test
// (safetensors_interop.py drives it):
//
//   safetensors_interop write <path>   writes the tensors the Python side expects
//   safetensors_interop check <path>   loads the file Python wrote and checks every value
//
// Exits non-zero with a message on any mismatch. Not a Catch2 test: it is a program so that a
// separate process (Python) reads and writes the files.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "tensor/factories.h"
#include "tensor/views.h"

using namespace qkv;

namespace {

void write(const std::string& path) {
  Tensor f32 = from_vector<float>({-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 2.5f, 3.0f, 3.5f, 4.0f, 1e-38f}, {3, 4});
  Tensor f64 = from_vector<double>({M_PI, M_E, -1e300, 5e-324});
  Tensor i64 = from_vector<int64_t>({-(int64_t{1} << 62), -1, 0, (int64_t{1} << 62) + 7}, {2, 2});
  Tensor mask = from_vector<bool>({true, false, true});
  Tensor transposed = raw::transpose(from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3}), 0, 1);  // [[1,4],[2,5],[3,6]]
  save_safetensors(path,
                   {{"f32", f32},
                    {"f64", f64},
                    {"i64", i64},
                    {"mask", mask},
                    {"scalar", scalar(2.5, Dtype::float64)},
                    {"empty", zeros({0, 3})},
                    {"transposed", transposed}},
                   {{"model", "interop"}, {"d_model", "16"}});
}

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "safetensors_interop check: %s\n", what.c_str());
    ++failures;
  }
}

void expect_tensor(const Checkpoint& ck, const std::string& name, Dtype dtype, const Shape& shape,
                   const std::vector<double>& values) {
  if (!ck.contains(name)) return expect(false, "missing tensor " + name);
  const Tensor& t = ck.at(name);
  expect(t.dtype() == dtype, fmt::format("{}: dtype {} != {}", name, t.dtype(), dtype));
  expect(t.shape() == shape, fmt::format("{}: shape {} != {}", name, t.shape(), shape));
  if (t.dtype() == dtype && t.shape() == shape) {
    expect(to_vector<double>(t) == values, fmt::format("{}: values [{}] != [{}]", name,
                                                       fmt::join(to_vector<double>(t), ", "), fmt::join(values, ", ")));
  }
}

int check_file(const std::string& path) {
  const Checkpoint ck = load_safetensors(path);
  expect(ck.tensors.size() == 5, fmt::format("expected 5 tensors, found {}", ck.tensors.size()));
  // torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4
  expect_tensor(ck, "weight", Dtype::float32, {2, 3}, {0, 0.25, 0.5, 0.75, 1, 1.25});
  expect_tensor(ck, "ids", Dtype::int64, {4}, {3, -7, 0, 1e15});
  expect_tensor(ck, "flags", Dtype::bool_, {2, 2}, {1, 0, 0, 1});
  expect_tensor(ck, "double", Dtype::float64, {}, {0.1});
  expect_tensor(ck, "nothing", Dtype::float64, {2, 0}, {});
  expect(ck.metadata == Metadata{{"source", "python"}, {"vocab", "de-en"}},
         "metadata differs from {source: python, vocab: de-en}");
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: safetensors_interop write|check <path>\n");
    return 2;
  }
  try {
    const std::string mode = argv[1];
    if (mode == "write") {
      write(argv[2]);
      return 0;
    }
    if (mode == "check") return check_file(argv[2]);
    std::fprintf(stderr, "safetensors_interop: unknown mode '%s'\n", argv[1]);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "safetensors_interop: %s\n", e.what());
    return 1;
  }
}
