// attention_maps.h — attention weights of a whole model as one heatmap figure: a grid with one
// panel per (layer, head), layers as rows and heads as columns, query tokens down the side and
// key tokens along the bottom.
//
//   std::vector<Tensor> maps;                        // per layer: weights (H, Tq, Tk)
//   for (auto& layer : layers) maps.push_back(raw::select(layer.forward(x, x, x, mask, true).weights, 0, 0));
//   viz::save_heatmaps("attention.svg", viz::attention_figure("encoder self-attention", maps, tokens, tokens));
//
// Panels are titled "layer L head H" (both counted from 0, as the tensors are indexed); the
// colour scale starts at 0 and is shared by all panels, so heads and layers compare directly.
// Throws qkv::Error (naming the layer and the shapes) when there are no layers, a layer is not
// (H, Tq, Tk), layers disagree on H, or the token counts do not match Tq and Tk. Not here: the
// batch dimension (select one sentence first) and averaging over heads.
#pragma once

#include <string>
#include <vector>

#include "viz/heatmap.h"

namespace qkv::viz {

HeatmapFigure attention_figure(const std::string& title, const std::vector<Tensor>& per_layer /* each (H, Tq, Tk) */,
                               const std::vector<std::string>& query_tokens,
                               const std::vector<std::string>& key_tokens);

}  // namespace qkv::viz
