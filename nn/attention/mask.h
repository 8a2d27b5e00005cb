// mask.h — which keys each query may attend to, with ONE meaning for the whole library:
//
//     true = this query may attend to this key.
//
// A mask is built from named pieces, so its meaning is never guessed from a bare tensor:
//
//   auto m = AttentionMask::causal()                              // key j <= query i
//          & AttentionMask::key_padding(src_is_pad);              // (B, Tk) bool, true = <pad>
//   auto a = AttentionMask::allowing(t);   // t: bool, true = may attend
//   auto b = AttentionMask::blocking(t);   // t: bool, true = may NOT attend (torch's
//                                          //    nn.MultiheadAttention key_padding_mask meaning)
//
// PyTorch uses opposite boolean conventions in nn.MultiheadAttention (true = blocked) and in
// scaled_dot_product_attention (true = allowed); mixing them up silently attends to padding.
// Here a bare tensor cannot be passed where a mask is expected: the type says what it means.
//
// Structured pieces (causal, window, key padding) are kept as structure so a fused kernel can
// test (b, h, i, j) without building the Tq×Tk matrix; `materialize` builds it when needed.
#pragma once

#include <optional>

#include "tensor/tensor.h"

namespace qkv {

class AttentionMask {
 public:
  AttentionMask() = default;  // every query may attend to every key

  // Query i may attend to key j when j <= i + (Tk - Tq): ordinary causal masking when Tq = Tk,
  // and the right alignment when a decoder step's queries are the last Tq of Tk positions.
  static AttentionMask causal();
  // Query i may attend to keys j with i - left <= j - (Tk - Tq) <= i + right (a local window).
  static AttentionMask window(int64_t left, int64_t right);
  // key_is_pad: bool (B, Tk), true where the key is padding and must not be attended to.
  static AttentionMask key_padding(const Tensor& key_is_pad);
  // allowed: bool, broadcastable to (B, H, Tq, Tk), true = may attend.
  static AttentionMask allowing(const Tensor& allowed);
  // blocked: bool, broadcastable to (B, H, Tq, Tk), true = may NOT attend.
  static AttentionMask blocking(const Tensor& blocked);

  // A key is allowed only if both masks allow it.
  AttentionMask operator&(const AttentionMask& other) const;

  bool allows_everything() const;
  bool is_causal() const { return causal_; }
  const std::optional<std::pair<int64_t, int64_t>>& window_bounds() const { return window_; }
  const Tensor& key_is_pad() const { return key_is_pad_; }   // undefined if none
  const Tensor& allowed_tensor() const { return allowed_; }  // undefined if none

  // Checks every piece against the attention's sizes, naming `op` and the shapes on error.
  void validate(std::string_view op, int64_t batch, int64_t heads, int64_t tq, int64_t tk) const;
  // The whole mask as bool (B or 1, H or 1, Tq, Tk), true = may attend.
  Tensor materialize(int64_t batch, int64_t heads, int64_t tq, int64_t tk) const;

 private:
  bool causal_ = false;
  std::optional<std::pair<int64_t, int64_t>> window_;
  Tensor key_is_pad_;  // (B, Tk)
  Tensor allowed_;     // broadcastable to (B, H, Tq, Tk)
};

}  // namespace qkv
