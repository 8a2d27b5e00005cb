// colormap.cpp — viridis by linear interpolation between matplotlib's values at 0, 0.1, ..., 1.
#include "viz/colormap.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace qkv::viz {

std::string viridis(double t) {
  static constexpr std::array<std::array<int, 3>, 11> anchors{{{68, 1, 84},
                                                               {72, 36, 117},
                                                               {65, 68, 135},
                                                               {53, 95, 141},
                                                               {42, 120, 142},
                                                               {33, 145, 140},
                                                               {34, 168, 132},
                                                               {68, 191, 112},
                                                               {122, 209, 81},
                                                               {189, 223, 38},
                                                               {253, 231, 37}}};
  if (!(t > 0)) t = 0;  // also NaN
  t = std::min(t, 1.0);
  const double pos = t * 10;
  const size_t i = std::min<size_t>(static_cast<size_t>(pos), 9);
  const double f = pos - static_cast<double>(i);
  std::array<int, 3> rgb{};
  for (size_t c = 0; c < 3; ++c) {
    rgb[c] = static_cast<int>(std::lround(anchors[i][c] + f * (anchors[i + 1][c] - anchors[i][c])));
  }
  return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
}

}  // namespace qkv::viz
