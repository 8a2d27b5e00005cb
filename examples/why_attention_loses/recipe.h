// recipe.h — the pieces of a hand-written Transformer that a "why does my attention lose?"
// program may replace, and the correct version of each.
//
//   int main(int argc, char** argv) {
//     why::Recipe recipe = why::correct_recipe("no_scaling");
//     recipe.attention = my_attention_without_the_scale;   // the one wrong piece
//     return why::run(recipe, argc, argv);                 // train, evaluate, report (harness.h)
//   }
//
// Every program trains the same model (model.h) on the same batches from the same seed for the
// same number of steps; only the piece it replaces differs. What is not here: the model's
// shape, the data and the optimizer, which are the harness's and the same for every program.
#pragma once

#include <functional>
#include <string>

#include "models/positional_encoding.h"
#include "qkv.h"
#include "tensor/elementwise.h"  // qkv::raw: masks are data, built without autograd
#include "tensor/index.h"
#include "tensor/views.h"

namespace why {

using qkv::Tensor;

// One call of the attention core, inside a multi-head layer (after the projections).
struct AttentionCall {
  Tensor q;            // (B, H, Tq, Dh)
  Tensor k;            // (B, H, Tk, Dh)
  Tensor v;            // (B, H, Tk, Dh)
  Tensor allowed;      // bool, broadcastable to (B, 1, Tq, Tk), true = may attend; undefined = all
  double dropout = 0;  // on the attention weights
  bool training = false;
  qkv::Generator* gen = nullptr;  // dropout's random stream (the layer's own)
};
// Returns the attended values (B, H, Tq, Dh).
using AttentionFn = std::function<Tensor(const AttentionCall&)>;

// Which keys each query may see, as an `allowed` tensor for AttentionCall (true = may attend).
// Inputs are the batch's padding masks as data::Batch gives them: (B, S) or (B, T) bool,
// true = <pad> (the convention of torch.nn.MultiheadAttention's key_padding_mask).
struct MaskRules {
  std::function<Tensor(const Tensor& src_is_pad)> encoder_self;  // → broadcastable to (B, 1, S, S)
  std::function<Tensor(const Tensor& src_is_pad)> cross;         // → broadcastable to (B, 1, T, S)
  std::function<Tensor(const Tensor& tgt_is_pad)> decoder_self;  // → broadcastable to (B, 1, T, T)
};

// Draws the initial values of one attention projection (a Linear of the q, k, v or output map).
using ProjectionInit = std::function<void(qkv::Linear& projection, qkv::Generator& gen)>;

struct Recipe {
  std::string name;  // the program's name: its log, its row in the table
  AttentionFn attention;
  MaskRules masks;
  ProjectionInit init_projection;
  bool residual_around_attention = true;  // x + attention(x) before the norm (post-norm)
  bool warmup = true;                     // ramp the learning rate up over the first steps
};

// ---- The correct pieces (correct_pieces.cpp) ----------------------------------------------

// softmax(q·kᵀ/√Dh, masked keys at -inf) over the keys, dropout on the weights while training,
// times v.
Tensor scaled_dot_attention(const AttentionCall& call);
// Keys only: the source's real tokens for the encoder and cross-attention; the target's real
// tokens at or before the query for the decoder's self-attention.
MaskRules correct_masks();
// torch.nn.MultiheadAttention's: Xavier-uniform weights, zero biases.
void xavier_projection(qkv::Linear& projection, qkv::Generator& gen);

// All the correct pieces, named `name`.
Recipe correct_recipe(std::string name);

// ---- Mask helpers the rules are written with -------------------------------------------------

// (B, S) bool → (B, 1, 1, S): the same row of keys for every query.
Tensor over_keys(const Tensor& per_key);
// (1, 1, T, T) bool, true where key j <= query i.
Tensor causal(int64_t t);
// Elementwise not, and of bool tensors (both broadcasts).
Tensor negate(const Tensor& mask);
Tensor both(const Tensor& a, const Tensor& b);

}  // namespace why
