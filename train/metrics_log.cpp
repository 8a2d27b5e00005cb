// metrics_log.cpp — JSON lines in and out, and the curves drawn from them.
#include "train/metrics_log.h"

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "tensor/error.h"
#include "train/training_plots.h"
#include "viz/line_plot.h"

namespace qkv::train {
namespace {

std::string to_json_line(const MetricsRow& r) {
  nlohmann::json j = {{"kind", r.kind}, {"epoch", r.epoch}, {"step", r.step}, {"loss", r.loss}};
  if (r.kind == "train") {
    j["lr"] = r.lr;
    j["grad_norm"] = r.grad_norm;
    j["tokens"] = r.tokens;
    j["tokens_per_s"] = r.tokens_per_s;
  } else {
    j["ppl"] = r.ppl;
    j["bleu"] = r.bleu;
    j["chrf"] = r.chrf;
  }
  j["elapsed"] = r.elapsed;
  return j.dump();
}

MetricsRow from_json(const nlohmann::json& j) {
  MetricsRow r;
  r.kind = j.at("kind").get<std::string>();
  r.epoch = j.at("epoch").get<int64_t>();
  r.step = j.at("step").get<int64_t>();
  r.loss = j.at("loss").get<double>();
  r.elapsed = j.value("elapsed", 0.0);
  r.lr = j.value("lr", 0.0);
  r.grad_norm = j.value("grad_norm", 0.0);
  r.tokens = j.value("tokens", 0.0);
  r.tokens_per_s = j.value("tokens_per_s", 0.0);
  r.ppl = j.value("ppl", 0.0);
  r.bleu = j.value("bleu", 0.0);
  r.chrf = j.value("chrf", 0.0);
  return r;
}

}  // namespace

std::vector<MetricsRow> read_metrics(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("metrics log '{}': cannot open it", path));
  std::vector<MetricsRow> rows;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    try {
      rows.push_back(from_json(nlohmann::json::parse(line)));
    } catch (const std::exception& e) {
      throw Error(fmt::format("metrics log '{}' line {}: not a metrics row ({})", path, n, e.what()));
    }
  }
  return rows;
}

MetricsLog::MetricsLog(std::string path, int64_t resume_step) : path_(std::move(path)) {
  if (resume_step >= 0 && std::filesystem::exists(path_)) {
    for (auto& r : read_metrics(path_)) {
      if (r.step <= resume_step) rows_.push_back(std::move(r));
    }
  }
  std::string kept;
  for (const auto& r : rows_) kept += to_json_line(r) + "\n";
  write_file_atomically(path_, kept);
  out_.open(path_, std::ios::app);
  if (!out_) throw Error(fmt::format("metrics log '{}': cannot open it for appending", path_));
}

void MetricsLog::append(const MetricsRow& row) {
  rows_.push_back(row);
  out_ << to_json_line(row) << '\n';
  out_.flush();
  if (!out_) throw Error(fmt::format("metrics log '{}': write failed (disk full?)", path_));
}

void MetricsLog::save_plots(const std::string& dir) const {
  if (const auto curve = training_curve_plot(rows_)) viz::save_line_plot(dir + "/training_curve.svg", *curve);
  if (const auto bleu = bleu_plot(rows_)) viz::save_line_plot(dir + "/bleu.svg", *bleu);
}

}  // namespace qkv::train
