// scale.cpp — nice ticks (the classic 1-2-5 rule) and their labels.
#include "viz/scale.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tensor/error.h"

namespace qkv::viz {

double nice_step(double lo, double hi, int target) {
  check(std::isfinite(lo) && std::isfinite(hi) && lo < hi, "nice_ticks: needs finite lo < hi, got [{}, {}]", lo, hi);
  check(target >= 1, "nice_ticks: target must be at least 1, got {}", target);
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / magnitude;
  const double nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  return nice * magnitude;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  const double step = nice_step(lo, hi, target);
  std::vector<double> out;
  const double first = std::ceil(lo / step - 1e-9);
  for (double k = first; k * step <= hi + step * 1e-9; k += 1) {
    const double v = k * step;
    out.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return out;
}

std::string tick_label(double value, double step) {
  if (value == 0) return "0";
  const double magnitude = std::max(std::abs(value), step);
  if (magnitude >= 1e6 || step < 1e-4) return fmt::format("{:.3g}", value);
  const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  return fmt::format("{:.{}f}", value, decimals);
}

std::pair<double, double> padded_range(double lo, double hi, double fraction) {
  if (lo == hi) {
    const double half = lo == 0 ? 1.0 : std::abs(lo) * 0.5;
    return {lo - half, hi + half};
  }
  const double pad = (hi - lo) * fraction;
  return {lo - pad, hi + pad};
}

}  // namespace qkv::viz
