// input_checks.h — the checks every translation model makes on its inputs, with messages that
// name the op, the argument and the shapes.
#pragma once

#include "tensor/tensor.h"

namespace qkv::models {

// ids must be (B, T) int64; `what` names the argument ("src", "tgt_in").
void check_tokens(const char* op, const char* what, const Tensor& ids);
// padding, when defined, must be bool with src's (B, S) (true = pad).
void check_padding(const char* op, const Tensor& padding, const Tensor& src);

}  // namespace qkv::models
