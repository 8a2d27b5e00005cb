// colormap.h — the viridis colour map (perceptually uniform, readable in greyscale and by
// colour-blind readers), for heatmaps.
//
//   viridis(0.0) == "#440154" (dark purple) ... viridis(1.0) == "#fde725" (yellow)
#pragma once

#include <string>

namespace qkv::viz {

// The colour at t in [0, 1] (clamped) as "#rrggbb", interpolated between 11 viridis anchors.
std::string viridis(double t);

}  // namespace qkv::viz
