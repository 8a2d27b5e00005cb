// recurrent_cell.h — what GRUCell and LSTMCell share: torch's four parameters (weight_ih,
// weight_hh, bias_ih, bias_hh), their initialisation U(±1/√Hd), and the checks on one step's
// input and state. The step itself is in steps.h.
#pragma once

#include <string>

#include "nn/module.h"

namespace qkv {

class RecurrentCell : public Module {
 public:
  void visit(ModuleVisitor& v) override;
  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }
  Tensor& weight_ih() { return w_ih_; }  // (G·Hd, I)
  Tensor& weight_hh() { return w_hh_; }  // (G·Hd, Hd)
  Tensor& bias_ih() { return b_ih_; }    // (G·Hd), undefined without bias
  Tensor& bias_hh() { return b_hh_; }    // (G·Hd), undefined without bias

 protected:
  // `name` ("GRUCell", "LSTMCell") starts error messages; `gates` is G (3 or 4).
  RecurrentCell(int64_t input_size, int64_t hidden_size, bool bias, Dtype dtype, int64_t gates, std::string name);
  void reset_own_parameters(Generator& gen) override;

  // Checks x (B, I); returns x·W_ihᵀ + b_ih (B, G·Hd).
  Tensor project(const Tensor& x) const;
  // A state (B, Hd) for a batch of `batch`: `s` checked, or zeros when s is undefined.
  Tensor state_or_zeros(const Tensor& s, int64_t batch, const char* what) const;

  const std::string& name() const { return name_; }

 private:
  int64_t input_size_;
  int64_t hidden_size_;
  std::string name_;
  Tensor w_ih_, w_hh_, b_ih_, b_hh_;
};

}  // namespace qkv
