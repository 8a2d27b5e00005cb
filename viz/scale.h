// scale.h — axis arithmetic for plots: "nice" tick positions (1, 2 or 5 times a power of ten),
// their labels, and the linear map from data values to pixels.
//
//   nice_ticks(0.13, 4.87)          -> {0, 1, 2, 3, 4}
//   tick_label(0.25, 0.05)          -> "0.25"
//   LinearScale x{0, 5, 60, 660};   x(2.5) == 360
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace qkv::viz {

// About `target` evenly spaced round values inside [lo, hi] (lo < hi, both finite).
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

// The spacing nice_ticks uses for [lo, hi].
double nice_step(double lo, double hi, int target = 5);

// `value` printed with as many decimals as a tick spacing of `step` needs ("0", "2.5", "1e+06").
std::string tick_label(double value, double step);

// Maps [lo, hi] in data units onto [pixel_lo, pixel_hi] (pixel_hi < pixel_lo flips the axis).
struct LinearScale {
  double lo, hi, pixel_lo, pixel_hi;
  double operator()(double v) const { return pixel_lo + (v - lo) / (hi - lo) * (pixel_hi - pixel_lo); }
};

// [lo, hi] widened by `fraction` of its width on each side; a single value becomes a unit range.
std::pair<double, double> padded_range(double lo, double hi, double fraction = 0.05);

}  // namespace qkv::viz
