// input_checks.cpp — token and padding checks shared by the translation models.
#include "models/input_checks.h"

#include "tensor/error.h"

namespace qkv::models {

void check_tokens(const char* op, const char* what, const Tensor& ids) {
  check(ids.defined() && ids.dim() == 2 && ids.dtype() == Dtype::int64, "{}: {} must be (B, T) int64, got {} {}", op,
        what, ids.defined() ? ids.shape() : Shape{}, ids.defined() ? dtype_name(ids.dtype()) : "undefined");
}

void check_padding(const char* op, const Tensor& padding, const Tensor& src) {
  if (!padding.defined()) return;
  check(padding.dtype() == Dtype::bool_ && padding.dim() == 2 && padding.size(0) == src.size(0) &&
            padding.size(1) == src.size(1),
        "{}: src_padding must be bool (B, S) = ({}, {}) (true = pad), got {} {}", op, src.size(0), src.size(1),
        padding.shape(), dtype_name(padding.dtype()));
}

}  // namespace qkv::models
