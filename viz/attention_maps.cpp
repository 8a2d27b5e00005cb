// attention_maps.cpp — per-layer (H, Tq, Tk) attention weights laid out as heatmap panels.
#include "viz/attention_maps.h"

#include <fmt/format.h>

#include "tensor/error.h"
#include "tensor/views.h"

namespace qkv::viz {

HeatmapFigure attention_figure(const std::string& title, const std::vector<Tensor>& per_layer,
                               const std::vector<std::string>& query_tokens, const std::vector<std::string>& key_tokens,
                               const AttentionFigureOptions& options) {
  check(!per_layer.empty(), "attention_figure '{}': no layers given", title);
  const auto tq = static_cast<int64_t>(query_tokens.size());
  const auto tk = static_cast<int64_t>(key_tokens.size());
  int64_t heads = 0;
  for (size_t layer = 0; layer < per_layer.size(); ++layer) {
    const Tensor& w = per_layer[layer];
    check(w.defined() && w.dim() == 3, "attention_figure '{}': layer {} must be (H, Tq, Tk), got {}", title, layer,
          w.defined() ? fmt::format("{}", w.shape()) : std::string("an undefined tensor"));
    if (layer == 0) heads = w.size(0);
    check(w.size(0) == heads, "attention_figure '{}': layer {} has {} heads, layer 0 has {} (shapes {} and {})", title,
          layer, w.size(0), heads, w.shape(), per_layer[0].shape());
    check(w.size(1) == tq && w.size(2) == tk,
          "attention_figure '{}': layer {} weights {} do not match {} query tokens and {} key tokens", title, layer,
          w.shape(), tq, tk);
  }
  check(heads > 0, "attention_figure '{}': the layers have no heads (shape {})", title, per_layer[0].shape());
  const bool single_panel = per_layer.size() == 1 && heads == 1;
  check(options.panel_title.empty() || single_panel,
        "attention_figure '{}': a panel title is for one layer of one head, got {} layers of {} heads", title,
        per_layer.size(), heads);

  HeatmapFigure fig{.title = title, .x_label = "keys", .y_label = "queries"};
  fig.columns = heads;  // one grid row per layer
  fig.min = 0.0;        // weights are non-negative; a zero-based scale shows masked cells as the lowest colour
  if (!options.auto_max) fig.max = 1.0;
  fig.scale_label = "attention weight";
  for (size_t layer = 0; layer < per_layer.size(); ++layer) {
    const Tensor w = per_layer[layer].detach();
    for (int64_t h = 0; h < heads; ++h) {
      std::string panel = options.panel_title.empty() ? fmt::format("layer {} head {}", layer, h) : options.panel_title;
      fig.panels.push_back({std::move(panel), raw::select(w, 0, h), query_tokens, key_tokens});
    }
  }
  return fig;
}

}  // namespace qkv::viz
