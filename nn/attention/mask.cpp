// mask.cpp — building, combining, validating and materialising attention masks.
#include "nn/attention/mask.h"

#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/views.h"

namespace qkv {
namespace {

void check_bool(std::string_view what, const Tensor& t) {
  check(t.defined(), "AttentionMask::{}: the tensor is undefined", what);
  check(t.dtype() == Dtype::bool_, "AttentionMask::{}: needs a bool tensor, got {} of shape {}", what, t.dtype(),
        t.shape());
  check(t.dim() <= 4, "AttentionMask::{}: needs at most 4 dimensions (B, H, Tq, Tk), got shape {}", what, t.shape());
}

}  // namespace

AttentionMask AttentionMask::causal() {
  AttentionMask m;
  m.causal_ = true;
  return m;
}

AttentionMask AttentionMask::window(int64_t left, int64_t right) {
  check(left >= 0 && right >= 0, "AttentionMask::window: left {} and right {} must be non-negative", left, right);
  AttentionMask m;
  m.window_ = std::make_pair(left, right);
  return m;
}

AttentionMask AttentionMask::key_padding(const Tensor& key_is_pad) {
  check_bool("key_padding", key_is_pad);
  check(key_is_pad.dim() == 2, "AttentionMask::key_padding: needs (B, Tk), got shape {}", key_is_pad.shape());
  AttentionMask m;
  m.key_is_pad_ = key_is_pad;
  return m;
}

AttentionMask AttentionMask::allowing(const Tensor& allowed) {
  check_bool("allowing", allowed);
  AttentionMask m;
  m.allowed_ = allowed;
  return m;
}

AttentionMask AttentionMask::blocking(const Tensor& blocked) {
  check_bool("blocking", blocked);
  return allowing(raw::logical_not(blocked));
}

AttentionMask AttentionMask::operator&(const AttentionMask& other) const {
  AttentionMask m = *this;
  m.causal_ = causal_ || other.causal_;
  if (other.window_) {
    m.window_ = !window_ ? other.window_
                         : std::make_pair(std::min(window_->first, other.window_->first),
                                          std::min(window_->second, other.window_->second));
  }
  if (other.key_is_pad_.defined()) {
    m.key_is_pad_ = key_is_pad_.defined() ? raw::logical_or(key_is_pad_, other.key_is_pad_) : other.key_is_pad_;
  }
  if (other.allowed_.defined()) {
    m.allowed_ = allowed_.defined() ? raw::logical_and(allowed_, other.allowed_) : other.allowed_;
  }
  return m;
}

bool AttentionMask::allows_everything() const {
  return !causal_ && !window_ && !key_is_pad_.defined() && !allowed_.defined();
}

void AttentionMask::validate(std::string_view op, int64_t batch, int64_t heads, int64_t tq, int64_t tk) const {
  if (key_is_pad_.defined()) {
    check(key_is_pad_.shape() == Shape{batch, tk}, "{}: key padding mask has shape {}, expected (B, Tk) = [{}, {}]", op,
          key_is_pad_.shape(), batch, tk);
  }
  if (allowed_.defined()) {
    const Shape full{batch, heads, tq, tk};
    const int64_t lead = 4 - allowed_.dim();
    for (int64_t i = 0; i < allowed_.dim(); ++i) {
      const int64_t have = allowed_.shape()[i];
      check(have == 1 || have == full[lead + i], "{}: mask of shape {} does not broadcast to (B, H, Tq, Tk) = {}", op,
            allowed_.shape(), full);
    }
  }
}

Tensor AttentionMask::materialize(int64_t batch, int64_t heads, int64_t tq, int64_t tk) const {
  validate("AttentionMask::materialize", batch, heads, tq, tk);
  // Starts as (1, 1, Tq, Tk); broadcasting against the pieces grows the batch and head dims.
  Tensor out = ones({1, 1, tq, tk}, Dtype::bool_);
  if (causal_ || window_) {
    // Position of query i among the keys: i + (Tk - Tq).
    Tensor grid = Tensor::empty({tq, tk}, Dtype::bool_);
    bool* g = grid.data<bool>();
    for (int64_t i = 0; i < tq; ++i) {
      const int64_t pos = i + (tk - tq);
      for (int64_t j = 0; j < tk; ++j) {
        bool ok = !causal_ || j <= pos;
        if (window_) ok = ok && j >= pos - window_->first && j <= pos + window_->second;
        g[i * tk + j] = ok;
      }
    }
    out = raw::logical_and(out, grid);
  }
  if (key_is_pad_.defined()) {
    out = raw::logical_and(out, raw::reshape(raw::logical_not(key_is_pad_), {batch, 1, 1, tk}));
  }
  if (allowed_.defined()) out = raw::logical_and(out, allowed_);
  return out;
}

}  // namespace qkv
