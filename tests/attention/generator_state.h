// generator_state.h — test helper: the positions of every random Generator a module owns
// (dropout's, a sampling variant's), to put them back later. A test that needs one random draw
// repeated — a gradcheck of a sampling variant, which calls forward many times — restores the
// saved positions before each call, so every call draws the same numbers.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "nn/module.h"

namespace qkv::attention_test {

class GeneratorStates {
 public:
  explicit GeneratorStates(Module& module) {
    Saver saver{states_};
    module.visit(saver);
  }
  // Puts every generator of `module` back where it was when this was built.
  void restore(Module& module) const {
    Restorer restorer{states_};
    module.visit(restorer);
  }
  size_t size() const { return states_.size(); }

 private:
  using State = std::array<uint64_t, 4>;
  struct Saver : ModuleVisitor {
    std::vector<State>& states;
    explicit Saver(std::vector<State>& s) : states(s) {}
    void generator(std::string_view, Generator& gen) override { states.push_back(gen.state()); }
  };
  struct Restorer : ModuleVisitor {
    const std::vector<State>& states;
    size_t next = 0;
    explicit Restorer(const std::vector<State>& s) : states(s) {}
    void generator(std::string_view, Generator& gen) override { gen.set_state(states.at(next++)); }
  };
  std::vector<State> states_;
};

}  // namespace qkv::attention_test
