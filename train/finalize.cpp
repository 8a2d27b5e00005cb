// finalize.cpp — choosing a run's final weights and length penalty on validation (finalize.h).
#include "train/finalize.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>

#include "data/corpus.h"
#include "metrics/bleu.h"
#include "tensor/error.h"
#include "train/average.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/model_factory.h"

namespace qkv::train {
namespace {

namespace fs = std::filesystem;

// The run's epoch snapshots, oldest first.
std::vector<std::string> epoch_snapshots(const std::string& run_dir) {
  static const std::regex name(R"(epoch-(\d+)\.safetensors)");
  std::vector<std::pair<int64_t, std::string>> found;
  for (const auto& entry : fs::directory_iterator(run_dir)) {
    std::smatch m;
    const std::string file = entry.path().filename().string();
    if (entry.is_regular_file() && std::regex_match(file, m, name)) {
      found.emplace_back(std::stoll(m[1].str()), entry.path().string());
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& [epoch, path] : found) out.push_back(std::move(path));
  return out;
}

// The candidates of finalize.h's first choice, each with the checkpoints it averages.
std::vector<FinalizeCandidate> candidates(const std::string& run_dir) {
  std::vector<FinalizeCandidate> out;
  const std::string best = run_dir + "/best.safetensors";
  if (fs::exists(best)) out.push_back({"best.safetensors", {best}});
  const std::vector<std::string> epochs = epoch_snapshots(run_dir);
  for (size_t k = 1; k <= epochs.size(); ++k) {
    out.push_back({k == 1 ? "last epoch" : fmt::format("last {} epochs", k),
                   std::vector<std::string>(epochs.end() - static_cast<std::ptrdiff_t>(k), epochs.end())});
  }
  return out;
}

struct ValidationSet {
  std::vector<std::string> source, reference;
};

ValidationSet read_validation(const TrainOptions& run, const FinalizeOptions& o) {
  const bool own = o.valid_source.empty() && o.valid_target.empty() && o.valid_tsv.empty();
  const std::string tsv = own ? run.valid_tsv : o.valid_tsv;
  const data::ParallelCorpus corpus = tsv.empty() ? data::read_parallel(own ? run.valid_source : o.valid_source,
                                                                        own ? run.valid_target : o.valid_target)
                                                  : data::read_parallel_tsv(tsv);
  const size_t n =
      o.valid_sentences > 0 ? std::min(corpus.size(), static_cast<size_t>(o.valid_sentences)) : corpus.size();
  return {{corpus.source.begin(), corpus.source.begin() + static_cast<std::ptrdiff_t>(n)},
          {corpus.target.begin(), corpus.target.begin() + static_cast<std::ptrdiff_t>(n)}};
}

}  // namespace

FinalizeResult finalize_run(const std::string& run_dir, const FinalizeOptions& o,
                            const std::function<void(std::string_view)>& say) {
  auto tell = [&](const std::string& line) {
    if (say) say(line);
  };
  check(fs::is_directory(run_dir), "qkv finalize: '{}' is not a run directory", run_dir);
  check(o.beam >= 1 && o.beam <= 1000, "qkv finalize: --beam must be in 1..1000, got {}", o.beam);
  check(!o.length_penalties.empty(), "qkv finalize: --length-penalties lists no value");
  for (double lp : o.length_penalties) {
    check(std::isfinite(lp) && lp >= 0 && lp <= 10, "qkv finalize: a length penalty must be in 0..10, got {}", lp);
  }
  FinalizeResult result;
  result.path = run_dir + "/final.safetensors";
  check(o.overwrite || !fs::exists(result.path), "qkv finalize: '{}' already exists; give --overwrite to replace it",
        result.path);
  result.candidates = candidates(run_dir);
  check(!result.candidates.empty(),
        "qkv finalize: '{}' has neither best.safetensors nor epoch-NNN.safetensors snapshots "
        "(train with --keep-checkpoints N to keep the last N epochs)",
        run_dir);

  // Every checkpoint once, by path; the model is built once from the newest one's options.
  std::map<std::string, LoadedCheckpoint> loaded;
  for (const FinalizeCandidate& c : result.candidates) {
    for (const std::string& f : c.files) {
      if (!loaded.contains(f)) loaded.emplace(f, load_checkpoint(f));
    }
  }
  const LoadedCheckpoint& newest = loaded.at(result.candidates.back().files.back());
  const ValidationSet valid = read_validation(newest.options, o);
  auto model = make_model(newest.options);

  auto weights_of = [&](const FinalizeCandidate& c) {
    std::vector<LoadedCheckpoint> parts;
    for (const std::string& f : c.files) parts.push_back(loaded.at(f));
    return average_weights(parts);
  };
  auto bleu_with = [&](const Checkpoint& weights, double length_penalty) {
    LoadedCheckpoint as_loaded = newest;
    as_loaded.file = weights;
    restore_model(as_loaded, *model);
    const models::DecodeOptions decode{.beam_size = o.beam, .length_penalty = length_penalty};
    const auto hypotheses = translate_lines(*model, *newest.source, *newest.target, valid.source, decode);
    return validation_bleu(*newest.target, hypotheses, valid.reference);
  };

  const double default_penalty = models::DecodeOptions{}.length_penalty;
  for (size_t i = 0; i < result.candidates.size(); ++i) {
    FinalizeCandidate& c = result.candidates[i];
    c.bleu = bleu_with(weights_of(c), default_penalty);
    tell(fmt::format("qkv finalize: {:<18} valid BLEU {:.2f} (beam {}, length penalty {})", c.name, c.bleu, o.beam,
                     default_penalty));
    if (c.bleu > result.candidates[result.chosen].bleu) result.chosen = i;
  }
  const FinalizeCandidate& winner = result.candidates[result.chosen];
  Checkpoint final_weights = weights_of(winner);

  result.bleu = -1;
  for (double lp : o.length_penalties) {
    const double bleu = bleu_with(final_weights, lp);
    result.length_penalty_bleu.emplace_back(lp, bleu);
    tell(fmt::format("qkv finalize: {} with length penalty {:<4} valid BLEU {:.2f}", winner.name, lp, bleu));
    if (bleu > result.bleu) {
      result.bleu = bleu;
      result.length_penalty = lp;
    }
  }

  final_weights.metadata["decode.beam"] = std::to_string(o.beam);
  final_weights.metadata["decode.length_penalty"] = fmt::format("{}", result.length_penalty);
  final_weights.metadata["selection.weights"] = winner.name;
  final_weights.metadata["selection.valid_bleu"] = fmt::format("{:.4f}", result.bleu);
  std::string table;
  for (const FinalizeCandidate& c : result.candidates) table += fmt::format("{}={:.4f};", c.name, c.bleu);
  final_weights.metadata["selection.candidates"] = table;
  save_safetensors(result.path, final_weights.tensors, final_weights.metadata);
  tell(fmt::format("qkv finalize: wrote {}: {}, beam {}, length penalty {}, valid BLEU {:.2f}", result.path,
                   winner.name, o.beam, result.length_penalty, result.bleu));
  return result;
}

}  // namespace qkv::train
