// fuzz_safetensors.cpp — the safetensors reader (io/safetensors.h) on arbitrary file bytes.
//
// An input is a whole file: the 8-byte header length, the JSON header, the data section.
// The reader must refuse bad files with qkv::Error; an accepted file must hold exactly what its
// header says (checked here against the header's own numbers: every tensor's element count and
// bytes, every BOOL a 0 or 1), and saving it again must give a file that loads to the same
// tensors. Seeds: corpus/safetensors/ (a tiny checkpoint, one tensor of each dtype, edge cases).
#include <cstring>

#include "fuzz/fuzz_support.h"
#include "io/safetensors.h"

namespace {

using namespace qkv;

void check_accepted(const Checkpoint& ck) {
  for (const auto& [name, t] : ck.tensors) {
    if (!t.is_contiguous()) fuzz::property_failed("a loaded tensor is not contiguous");
    const size_t nbytes = static_cast<size_t>(t.numel()) * itemsize(t.dtype());
    const auto* bytes = reinterpret_cast<const unsigned char*>(t.storage()->data()) +
                        static_cast<size_t>(t.offset()) * itemsize(t.dtype());
    unsigned sum = 0;  // touches every byte, so ASan sees a short allocation
    for (size_t i = 0; i < nbytes; ++i) sum += bytes[i];
    if (t.dtype() == Dtype::bool_ && sum > nbytes) fuzz::property_failed("a BOOL tensor holds a byte above 1");
  }
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  const size_t n = static_cast<size_t>(a.numel()) * itemsize(a.dtype());
  const size_t item = itemsize(a.dtype());
  return n == 0 || std::memcmp(a.storage()->data() + static_cast<size_t>(a.offset()) * item,
                               b.storage()->data() + static_cast<size_t>(b.offset()) * item, n) == 0;
}

// Saved again and reloaded, an accepted file gives the same names, tensors and metadata.
void check_round_trip(const Checkpoint& ck) {
  static const fuzz::ScratchDir dir;
  const std::string path = dir.path() + "/again.safetensors";
  save_safetensors(path, ck.tensors, ck.metadata);
  const Checkpoint again = load_safetensors(path);
  if (again.metadata != ck.metadata) fuzz::property_failed("metadata changed in a save/load round trip");
  if (again.tensors.size() != ck.tensors.size()) fuzz::property_failed("tensor count changed in a round trip");
  for (size_t i = 0; i < ck.tensors.size(); ++i) {
    if (again.tensors[i].first != ck.tensors[i].first || !same_bytes(again.tensors[i].second, ck.tensors[i].second)) {
      fuzz::property_failed("a tensor changed in a save/load round trip");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::MemoryFile file;
  file.set(fuzz::as_text(data, size));
  Checkpoint ck;
  if (!fuzz::expect_errors([&] { ck = load_safetensors(file.path()); })) return 0;
  check_accepted(ck);
  check_round_trip(ck);
  return 0;
}
