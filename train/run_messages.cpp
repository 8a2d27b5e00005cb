// run_messages.cpp — the messages of run_messages.h.
#include "train/run_messages.h"

#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "train/progress_bar.h"

namespace qkv::train {

std::string nothing_left_to_do(TrainResult::Stop limit, const std::string& checkpoint_path, const TrainOptions& o,
                               const TrainingState& s) {
  if (limit == TrainResult::Stop::step_limit) {
    return fmt::format(
        "qkv train: the run in '{}' has reached its step limit ({} steps); give a larger --max-steps (it counts the "
        "whole run) or --max-steps 0 to go on",
        checkpoint_path, s.step);
  }
  if (limit == TrainResult::Stop::time_limit) {
    return fmt::format(
        "qkv train: the run in '{}' has reached its time limit ({} of training); give a larger --max-minutes (it "
        "counts the whole run) or --max-minutes 0 to go on",
        checkpoint_path, format_duration(s.train_seconds));
  }
  return fmt::format("qkv train: the run in '{}' has done all its {} epochs; give --epochs above {} to go on",
                     checkpoint_path, o.epochs, o.epochs);
}

std::string what_next(const TrainOptions& o, const TrainResult& result) {
  std::vector<std::string> files;
  for (const char* name : {"final.safetensors", "best.safetensors", "last.safetensors", "metrics.jsonl",
                           "training_curve.svg", "bleu.svg", "train.log", "config.toml"}) {
    if (std::filesystem::exists(std::filesystem::path(o.out_dir) / name)) files.emplace_back(name);
  }
  const std::string final_path = (std::filesystem::path(o.out_dir) / "final.safetensors").string();
  const std::string model = std::filesystem::exists(final_path) ? final_path
                            : result.best_checkpoint.empty()    ? result.last_checkpoint
                                                                : result.best_checkpoint;
  // Raw-text runs read and write text as people type it and are scored as sacreBLEU does;
  // the others read tokenised text and are scored on its tokens.
  const bool raw = o.tokenizer == data::TokenizerKind::rawbpe || o.tokenizer == data::TokenizerKind::sentencepiece;
  std::string text = fmt::format("qkv train: outputs in {}/: {}\nnext:\n", o.out_dir, fmt::join(files, ", "));
  text += fmt::format("  echo \"{}\" | qkv translate --model {}\n",
                      raw ? "A dog runs on the beach." : "a dog runs on the beach .", model);
  if (o.valid_tsv.empty()) {
    text += fmt::format("  qkv eval --model {} --source {} --reference {}{}\n", model, o.valid_source, o.valid_target,
                        raw ? "" : " --tokenize none");
  } else {
    text += fmt::format("  qkv eval --model {} --source SOURCE_FILE --reference REFERENCE_FILE\n", model);
  }
  switch (result.stop) {
    case TrainResult::Stop::interrupted:
      text += fmt::format("  qkv train --resume {}   (continues this run)\n", result.last_checkpoint);
      break;
    case TrainResult::Stop::time_limit:
    case TrainResult::Stop::step_limit:
      text += fmt::format("  qkv train --resume {} --max-{} N   (continues this run with a higher limit)\n",
                          result.last_checkpoint, result.stop == TrainResult::Stop::time_limit ? "minutes" : "steps");
      break;
    case TrainResult::Stop::finished:
    case TrainResult::Stop::early_stopping: break;
  }
  text.pop_back();
  return text;
}

}  // namespace qkv::train
