// recurrent_stack.h — what GRU and LSTM share: torch's parameter layout for a stack of
// (optionally bidirectional) recurrent layers, its initialisation, and the loop over layers,
// directions and time steps, with per-sequence lengths. The gate arithmetic of one step is the
// subclass's (steps.h).
//
// Per layer and direction: one product x·W_ihᵀ for all time steps (B·T rows), then per step only
// h·W_hhᵀ and the gates. With `lengths`, a step at position t >= length keeps the old state
// (`where` on a (B, 1) mask) and outputs zeros, so a forward run ends at each sequence's real
// end and a backward run starts there — what torch computes on a packed sequence.
// Not here: torch's proj_size (LSTM projections) and unbatched (T, I) inputs.
#pragma once

#include <string>
#include <vector>

#include "nn/module.h"
#include "nn/rnn/rnn_config.h"

namespace qkv {

class RecurrentStack : public Module {
 public:
  // torch's names, layer by layer and forward before reverse: weight_ih_l0, weight_hh_l0,
  // bias_ih_l0, bias_hh_l0, weight_ih_l0_reverse, ..., then the dropout generator "rng".
  void visit(ModuleVisitor& v) override;

  const RnnConfig& config() const { return config_; }
  int64_t directions() const { return config_.bidirectional ? 2 : 1; }
  // The weights of one layer and direction: W_ih (G·Hd, in), W_hh (G·Hd, Hd), b_ih and b_hh
  // (G·Hd, undefined without bias); G = 3 for GRU (r, z, n), 4 for LSTM (i, f, g, o).
  Tensor& weight_ih(int64_t layer, bool reverse = false) { return at(layer, reverse).w_ih; }
  Tensor& weight_hh(int64_t layer, bool reverse = false) { return at(layer, reverse).w_hh; }
  Tensor& bias_ih(int64_t layer, bool reverse = false) { return at(layer, reverse).b_ih; }
  Tensor& bias_hh(int64_t layer, bool reverse = false) { return at(layer, reverse).b_hh; }

 protected:
  struct Weights {
    Tensor w_ih, w_hh, b_ih, b_hh;
  };
  // The results of run: the last layer's output (B, T, dirs·Hd), zero at padded positions, and
  // each state's final value (L·dirs, B, Hd), in the order of `initial`.
  struct Result {
    Tensor output;
    std::vector<Tensor> finals;
  };

  // `name` ("GRU", "LSTM") starts error messages; `gates` is G.
  RecurrentStack(const RnnConfig& config, int64_t gates, std::string name);

  // torch's init: every weight and bias uniform on ±1/√Hd; then seeds the dropout generator.
  void reset_own_parameters(Generator& gen) override;

  // The input projection of all steps: x (B, T, in) -> (B, T, G·Hd). Default x·W_ihᵀ + b_ih.
  virtual Tensor project(const Tensor& x, const Weights& w) const;
  // One step of one direction: this step's projection gi (B, G·Hd), the states (each (B, Hd)),
  // w_hh_t = W_hhᵀ (Hd, G·Hd) -> the new states, in the same order.
  virtual std::vector<Tensor> step(const Tensor& gi, const std::vector<Tensor>& state, const Tensor& w_hh_t,
                                   const Weights& w) const = 0;

  // Runs the stack. initial: one (L·dirs, B, Hd) tensor per state (undefined = zeros);
  // lengths: (B) int64 in [0, T], or undefined when every sequence has length T.
  Result run(const Tensor& x, const std::vector<Tensor>& initial, const Tensor& lengths);

 private:
  Weights& at(int64_t layer, bool reverse);

  RnnConfig config_;
  int64_t gates_;
  std::string name_;
  std::vector<Weights> weights_;  // [layer·dirs + direction]
  Generator rng_;                 // dropout between layers
};

}  // namespace qkv
