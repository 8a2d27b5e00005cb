// unbind_steps.h — a tensor cut into its slices along one dimension, differentiably, with one
// gradient buffer shared by all slices.
//
// A recurrent layer computes its input projection for every time step at once, (B, T, G), then
// reads one (B, G) slice per step. T separate `select`s would each give backward a zero-filled
// (B, T, G) gradient to sum, O(B·T²·G) work; here every slice's backward writes its gradient
// into its row of one shared buffer, and one node at the end hands the buffer to x: O(B·T·G).
//
// How it sits in the graph: a node "unbind_steps" takes x and outputs a one-element token;
// every slice is recorded as a node whose input is that token. The engine therefore runs the
// token's backward after every slice's, and the token's backward returns the filled buffer as
// dx (and forgets it, so a retained graph can run backward again).
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace qkv {

// The slices x[..., i, ...] for i in [0, x.size(dim)), each of x's shape without `dim`.
//   dx = the slices' gradients placed side by side along dim (zero for a slice that got none)
std::vector<Tensor> unbind_steps(const Tensor& x, int64_t dim);

}  // namespace qkv
