// hard_choice.cpp — first_argmax_one_hot (hard_choice.h).
#include "nn/attention/hard_choice.h"

#include <cmath>

#include "tensor/factories.h"
#include "tensor/views.h"

namespace qkv {

Tensor first_argmax_one_hot(const Tensor& scores_in, const Tensor& allowed_in) {
  const Tensor scores = raw::contiguous(scores_in);
  const Tensor allowed = allowed_in.defined() ? raw::contiguous(raw::expand(allowed_in, scores.shape())) : Tensor();
  Tensor out = zeros(scores.shape(), scores.dtype());
  const int64_t tk = scores.size(-1);
  const int64_t rows = tk == 0 ? 0 : scores.numel() / tk;
  const bool* a = allowed.defined() ? allowed.data<bool>() : nullptr;
  dispatch_floating("hard attention", scores.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* s = scores.data<T>();
    T* o = out.data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      int64_t best = -1;
      for (int64_t j = 0; j < tk; ++j) {
        const int64_t at = r * tk + j;
        if ((a && !a[at]) || std::isnan(s[at])) continue;
        if (best < 0 || s[at] > s[r * tk + best]) best = j;
      }
      if (best >= 0) o[r * tk + best] = T(1);
    }
  });
  return out;
}

}  // namespace qkv
