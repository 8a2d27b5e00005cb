// training_plots_test.cpp — the run's pictures put every point where metrics.jsonl says it is:
// validation BLEU and loss at their step (whatever the rows' epoch fields count from), and a
// BLEU axis that does not run below 0, even for one validation of BLEU 0.
#include <catch2/catch.hpp>

#include "tensor/error.h"
#include "train/training_plots.h"
#include "xml_check.h"

using namespace qkv;
using namespace qkv::train;
using Catch::Contains;

namespace {

MetricsRow train_row(int64_t epoch, int64_t step) {
  return {.kind = "train", .epoch = epoch, .step = step, .loss = 5.0 - 0.1 * static_cast<double>(step)};
}
MetricsRow valid_row(int64_t epoch, int64_t step, double bleu) {
  return {.kind = "valid", .epoch = epoch, .step = step, .loss = 4.0, .bleu = bleu};
}

// Two epochs of 4 steps with a validation after each (epoch fields 1 and 2, as the trainer
// writes them), then a time limit part-way through the third and its validation.
std::vector<MetricsRow> two_and_a_half_epochs() {
  std::vector<MetricsRow> rows;
  for (int64_t step = 1; step <= 4; ++step) rows.push_back(train_row(0, step));
  rows.push_back(valid_row(1, 4, 3.5));
  for (int64_t step = 5; step <= 8; ++step) rows.push_back(train_row(1, step));
  rows.push_back(valid_row(2, 8, 9.25));
  for (int64_t step = 9; step <= 10; ++step) rows.push_back(train_row(2, step));
  rows.push_back(valid_row(2, 10, 11.0));
  return rows;
}

}  // namespace

TEST_CASE("bleu.svg puts each validation at its step", "[viz][training_plots]") {
  const auto plot = bleu_plot(two_and_a_half_epochs());
  REQUIRE(plot.has_value());
  CHECK(plot->x_label == "step");
  REQUIRE(plot->series.size() == 1);
  CHECK(plot->series[0].x == std::vector<double>{4, 8, 10});
  CHECK(plot->series[0].y == std::vector<double>{3.5, 9.25, 11.0});
  const viz::AxisRanges r = viz::axis_ranges(*plot);
  CHECK(r.x_lo <= 4);
  CHECK(r.x_lo > 3);  // padded a little, not shifted by an epoch
  CHECK(r.x_hi >= 10);
  CHECK(r.x_hi < 11);
}

TEST_CASE("the training curve's validation points sit at the same steps as bleu.svg's", "[viz][training_plots]") {
  const auto plot = training_curve_plot(two_and_a_half_epochs());
  REQUIRE(plot.has_value());
  REQUIRE(plot->series.size() == 2);
  CHECK(plot->series[0].x == std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(plot->series[1].x == std::vector<double>{4, 8, 10});
}

TEST_CASE("one validation with BLEU 0 gets the y axis [0, 1], not [-1, 1]", "[viz][training_plots]") {
  const std::vector<MetricsRow> rows{train_row(0, 1), train_row(0, 2), valid_row(1, 2, 0.0)};
  const auto plot = bleu_plot(rows);
  REQUIRE(plot.has_value());
  const viz::AxisRanges r = viz::axis_ranges(*plot);
  CHECK(r.y_lo == 0.0);
  CHECK(r.y_hi == 1.0);
  CHECK(r.x_lo < 2);
  CHECK(r.x_hi > 2);
  const std::string svg = viz::render_line_plot(*plot);
  CHECK(test::xml_problem(svg) == "");
  CHECK(test::count_of(svg, ">-") == 0);  // no negative tick label anywhere
}

TEST_CASE("one validation with a positive BLEU is padded around its value", "[viz][training_plots]") {
  const auto plot = bleu_plot({train_row(0, 1), valid_row(1, 1, 12.0)});
  REQUIRE(plot.has_value());
  const viz::AxisRanges r = viz::axis_ranges(*plot);
  CHECK(r.y_lo == Approx(6.0));
  CHECK(r.y_hi == Approx(18.0));
}

TEST_CASE("nothing to draw gives no plot", "[viz][training_plots]") {
  CHECK_FALSE(bleu_plot({train_row(0, 1)}).has_value());
  CHECK_FALSE(training_curve_plot({}).has_value());
}

TEST_CASE("a y floor is a promise about the data: a value under it is an error", "[viz][line_plot]") {
  viz::LinePlot plot{.title = "scores"};
  plot.series.push_back(viz::line_series("s", {1, 2}, {0.5, -0.25}));
  plot.y_floor = 0.0;
  CHECK_THROWS_WITH(viz::render_line_plot(plot), Contains("line plot 'scores': series 's' has y = -0.25 at index 1"));
}

TEST_CASE("the comparison plot draws each run's validation BLEU against its minutes or steps",
          "[viz][training_plots]") {
  auto rows = two_and_a_half_epochs();
  for (auto& r : rows) r.elapsed = 30.0 * static_cast<double>(r.step);  // half a minute per step
  std::vector<MetricsRow> other = {train_row(0, 1), valid_row(1, 6, 20.0)};
  other[1].elapsed = 90.0;
  const std::vector<LabelledRun> runs = {{"first", rows}, {"second", other}};

  const viz::LinePlot by_time = compare_bleu_plot(runs, PlotAxis::minutes, "two recipes");
  CHECK(by_time.title == "two recipes");
  CHECK(by_time.x_label == "training time (minutes)");
  REQUIRE(by_time.series.size() == 2);
  CHECK(by_time.series[0].name == "first");
  CHECK(by_time.series[0].x == std::vector<double>{2, 4, 5});
  CHECK(by_time.series[0].y == std::vector<double>{3.5, 9.25, 11.0});
  CHECK(by_time.series[1].name == "second");
  CHECK(by_time.series[1].x == std::vector<double>{1.5});
  CHECK(by_time.series[1].y == std::vector<double>{20.0});
  CHECK(test::xml_problem(viz::render_line_plot(by_time)) == "");

  const viz::LinePlot by_step = compare_bleu_plot(runs, PlotAxis::step, "");
  CHECK(by_step.x_label == "step");
  CHECK(by_step.series[0].x == std::vector<double>{4, 8, 10});
  CHECK(by_step.series[1].x == std::vector<double>{6});
}

TEST_CASE("the comparison plot names a run it cannot draw", "[viz][training_plots]") {
  CHECK_THROWS_WITH(compare_bleu_plot({}, PlotAxis::step, ""), Contains("no runs to draw"));
  const std::vector<LabelledRun> runs = {{"fine", two_and_a_half_epochs()}, {"runs/early", {train_row(0, 1)}}};
  CHECK_THROWS_WITH(compare_bleu_plot(runs, PlotAxis::minutes, ""),
                    Contains("run 'runs/early' has no validation rows"));
}
