// svg_samples.cpp — writes a sample line plot and a sample heatmap grid (labels full of XML
// special characters) into a directory, for svg_wellformed.py to parse with a real XML parser.
//
//   svg_samples <dir>   -> <dir>/line_plot.svg, <dir>/heatmaps.svg
#include <cmath>
#include <cstdio>
#include <string>

#include "tensor/random.h"
#include "viz/heatmap.h"
#include "viz/line_plot.h"

using namespace qkv;
using namespace qkv::viz;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: svg_samples <dir>\n");
    return 2;
  }
  const std::string dir = argv[1];
  try {
    LinePlot plot{.title = "loss <train> & \"dev\"", .x_label = "epoch", .y_label = "loss"};
    std::vector<double> x, train, dev;
    for (int i = 1; i <= 30; ++i) {
      x.push_back(i);
      train.push_back(2.0 / i + 0.1);
      dev.push_back(2.2 / i + 0.2 + 0.01 * i);
    }
    plot.series.push_back(line_series("train", x, train));
    plot.series.push_back(line_series("dev <held-out>", x, dev));
    plot.series.push_back(scatter_series("best & final", {30}, {train.back()}));
    save_line_plot(dir + "/line_plot.svg", plot);

    HeatmapFigure fig{.title = "attention <layer 1>", .x_label = "keys", .y_label = "queries"};
    const std::vector<std::string> queries{"<bos>", "Tom", "&", "'s", "\"cat\""};
    const std::vector<std::string> keys{"Tom", "<eos>", "a&b", "chat", "d'or", "<pad>"};
    Generator gen(3);
    for (int h = 0; h < 4; ++h) fig.panels.push_back({"head " + std::to_string(h), rand({5, 6}, gen), queries, keys});
    save_heatmaps(dir + "/heatmaps.svg", fig);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "svg_samples: %s\n", e.what());
    return 1;
  }
  return 0;
}
