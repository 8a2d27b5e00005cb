// rank_streams.cpp — per-(seed, step, rank) dropout streams (see rank_streams.h).
#include "train/rank_streams.h"

#include <vector>

#include "tensor/random.h"

namespace qkv::train {
namespace {

std::vector<Generator*> generators_of(Module& root) {
  struct Visitor : ModuleVisitor {
    std::vector<Generator*> out;
    void generator(std::string_view, Generator& gen) override { out.push_back(&gen); }
    void module(std::string_view, Module& child) override { child.visit(*this); }
  } v;
  root.visit(v);
  return std::move(v.out);
}

// splitmix64's finaliser: nearby inputs give unrelated outputs.
uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

void reseed_generators_for_step(Module& model, uint64_t seed, int64_t step, int rank) {
  const std::vector<Generator*> generators = generators_of(model);
  for (size_t k = 0; k < generators.size(); ++k) {
    uint64_t key = mix(seed ^ 0x6A09E667F3BCC909ull);
    for (uint64_t part : {static_cast<uint64_t>(step), static_cast<uint64_t>(rank), static_cast<uint64_t>(k)}) {
      key = mix(key + 0x9E3779B97F4A7C15ull + part);
    }
    generators[k]->set_state(Generator(key).state());
  }
}

}  // namespace qkv::train
