// attention_maps.h — attention weights of a whole model as one heatmap figure: a grid with one
// panel per (layer, head), layers as rows and heads as columns, query tokens down the side and
// key tokens along the bottom.
//
//   std::vector<Tensor> maps;                        // per layer: weights (H, Tq, Tk)
//   for (auto& layer : layers) maps.push_back(raw::select(layer.forward(x, x, x, mask, true).weights, 0, 0));
//   viz::save_heatmaps("attention.svg", viz::attention_figure("encoder self-attention", maps, tokens, tokens));
//
// Panels are titled "layer L head H" (both counted from 0, as the tensors are indexed), or
// options.panel_title for weights that have no layers or heads to name (an RNN's alignment).
// One colour scale, labelled "attention weight", serves all panels and runs from 0 to 1, so
// heads, layers and figures of different models compare directly; options.auto_max ends it at
// the largest weight instead (finer shades for diffuse attention, but no longer comparable).
// Throws qkv::Error (naming the layer and the shapes) when there are no layers, a layer is not
// (H, Tq, Tk), layers disagree on H, or the token counts do not match Tq and Tk. Not here: the
// batch dimension (select one sentence first) and averaging over heads.
#pragma once

#include <string>
#include <vector>

#include "viz/heatmap.h"

namespace qkv::viz {

struct AttentionFigureOptions {
  std::string panel_title{};  // the only panel's title (one layer of one head); empty: "layer 0 head 0"
  bool auto_max = false;      // colour scale 0..max weight instead of 0..1
};

HeatmapFigure attention_figure(const std::string& title, const std::vector<Tensor>& per_layer /* each (H, Tq, Tk) */,
                               const std::vector<std::string>& query_tokens, const std::vector<std::string>& key_tokens,
                               const AttentionFigureOptions& options = {});

}  // namespace qkv::viz
