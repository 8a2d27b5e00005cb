// flash_attention_tile_mask.h — the attention mask as the fused kernel sees it: evaluated per
// tile of scores, never built as a Tq×Tk matrix.
//
// Chapter order: flash_attention.h, flash_attention_tiles.h, flash_attention_tiles.cpp, this
// file, flash_attention_schedule.cpp, flash_attention.cpp.
//
// The structured pieces of an AttentionMask (causal, window) are a key range [lo, hi) per query
// row, so a tile can be classified without looking at its entries: empty (skipped, no product
// computed), full (nothing to mask) or partial (masked entries set to -inf). Key padding and an
// explicit `allowed` tensor are read through their (broadcast) strides.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "nn/attention/mask.h"
#include "tensor/tensor.h"

namespace qkv::flash {

enum class TileKind { empty, full, partial };

class TileMask {
 public:
  TileMask(const AttentionMask& mask, int64_t tq, int64_t tk) : tq_(tq), tk_(tk) {
    causal_ = mask.is_causal();
    if (const auto& w = mask.window_bounds()) {
      windowed_ = true;
      left_ = w->first;
      right_ = w->second;
    }
    if (const Tensor& p = mask.key_is_pad(); p.defined()) {
      pad_ = p.data<bool>();
      pad_sb_ = p.strides()[0];
      pad_sj_ = p.strides()[1];
    }
    if (const Tensor& a = mask.allowed_tensor(); a.defined()) {
      allowed_ = a.data<bool>();
      int64_t* strides[4] = {&al_sb_, &al_sh_, &al_si_, &al_sj_};
      const int64_t lead = 4 - a.dim();
      for (int64_t d = 0; d < a.dim(); ++d) *strides[lead + d] = a.shape()[d] == 1 ? 0 : a.strides()[d];
    }
  }

  // Keys [lo, hi) that the structured pieces (causal, window) allow query i; empty if lo >= hi.
  // Query i sits at key position i + (Tk - Tq).
  std::pair<int64_t, int64_t> key_range(int64_t i) const {
    const int64_t pos = i + (tk_ - tq_);
    int64_t lo = 0, hi = tk_;
    if (causal_) hi = std::min(hi, pos + 1);
    if (windowed_) {
      lo = std::max(lo, pos - left_);
      hi = std::min(hi, pos + right_ + 1);
    }
    return {lo, hi};
  }

  // Whether the tile rows [i0, i1) × keys [j0, j1) of batch b is entirely masked, entirely
  // allowed, or neither (then each entry is tested).
  TileKind kind(int64_t b, int64_t i0, int64_t i1, int64_t j0, int64_t j1) const {
    bool any = false, all = true;
    for (int64_t i = i0; i < i1; ++i) {
      const auto [lo, hi] = key_range(i);
      if (std::max(lo, j0) < std::min(hi, j1)) any = true;
      if (lo > j0 || hi < j1) all = false;
    }
    if (!any) return TileKind::empty;
    if (pad_ != nullptr) {
      int64_t pads = 0;
      for (int64_t j = j0; j < j1; ++j) pads += pad_[b * pad_sb_ + j * pad_sj_] ? 1 : 0;
      if (pads == j1 - j0) return TileKind::empty;
      if (pads > 0) all = false;
    }
    if (allowed_ != nullptr) all = false;
    return all ? TileKind::full : TileKind::partial;
  }

  // Sets the masked entries of the tile rows [i0, i0 + rows) × keys [j0, j0 + cols) of head
  // (b, h) to -inf; s has row stride lds.
  template <class T>
  void apply(T* s, int64_t lds, int64_t b, int64_t h, int64_t i0, int64_t rows, int64_t j0, int64_t cols) const {
    constexpr T minus_inf = -std::numeric_limits<T>::infinity();
    for (int64_t r = 0; r < rows; ++r) {
      T* row = s + r * lds;
      const int64_t i = i0 + r;
      const auto [lo, hi] = key_range(i);
      const int64_t c_lo = std::clamp<int64_t>(lo - j0, 0, cols);
      const int64_t c_hi = std::clamp<int64_t>(hi - j0, c_lo, cols);
      for (int64_t c = 0; c < c_lo; ++c) row[c] = minus_inf;
      for (int64_t c = c_hi; c < cols; ++c) row[c] = minus_inf;
      if (pad_ != nullptr) {
        const bool* p = pad_ + b * pad_sb_ + j0 * pad_sj_;
        for (int64_t c = c_lo; c < c_hi; ++c) {
          if (p[c * pad_sj_]) row[c] = minus_inf;
        }
      }
      if (allowed_ != nullptr) {
        const bool* a = allowed_ + b * al_sb_ + h * al_sh_ + i * al_si_ + j0 * al_sj_;
        for (int64_t c = c_lo; c < c_hi; ++c) {
          if (!a[c * al_sj_]) row[c] = minus_inf;
        }
      }
    }
  }

 private:
  int64_t tq_ = 0, tk_ = 0;
  bool causal_ = false;
  bool windowed_ = false;
  int64_t left_ = 0, right_ = 0;
  const bool* pad_ = nullptr;  // key_is_pad (B, Tk), true = padding
  int64_t pad_sb_ = 0, pad_sj_ = 0;
  const bool* allowed_ = nullptr;  // broadcast to (B, H, Tq, Tk), true = may attend
  int64_t al_sb_ = 0, al_sh_ = 0, al_si_ = 0, al_sj_ = 0;
};

}  // namespace qkv::flash
