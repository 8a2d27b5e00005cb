// finalize.h — the end of a run: which weights and which decoding settings to ship, each chosen
// on the validation set (never on a test set).
//
//   qkv finalize runs/en-de           # writes runs/en-de/final.safetensors
//
// Two choices, one after the other:
//  1. The weights. Candidates are best.safetensors (the best single validation) and the mean of
//     the last k epoch snapshots (epoch-NNN.safetensors, kept with --keep-checkpoints) for every
//     k from 1 to their number. Each is decoded on the validation set with `beam` and the
//     default length penalty; the highest BLEU wins (a tie keeps the earlier candidate, so the
//     smaller average).
//  2. The length penalty. The winner is decoded again with each of `length_penalties`; the
//     highest BLEU wins (a tie keeps the earlier value of the list).
// final.safetensors holds the winner's weights (no optimizer state: it translates, it does not
// resume) and metadata decode.beam and decode.length_penalty, which `qkv translate` and `qkv eval`
// use when they are not given --beam or --length-penalty, plus selection.* describing the choice.
// Validation BLEU is the trainer's own (train/evaluate.h validation_bleu: sacreBLEU's default on
// raw text, the tokens themselves on tokenised text), on the validation files the run was
// trained with unless others are given.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace qkv::train {

struct FinalizeOptions {
  int64_t beam = 5;
  std::vector<double> length_penalties{0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0};
  // The validation data: empty means the run's own (its train.valid_* options).
  std::string valid_source, valid_target, valid_tsv;
  int64_t valid_sentences = 0;  // 0: every validation pair; else the first N
  bool overwrite = false;       // replace an existing final.safetensors
};

struct FinalizeCandidate {
  std::string name;                // "best.safetensors" or "last 3 epochs"
  std::vector<std::string> files;  // the checkpoints averaged (one for best)
  double bleu = 0;                 // validation BLEU with the default length penalty
};

struct FinalizeResult {
  std::vector<FinalizeCandidate> candidates;                   // in the order tried
  size_t chosen = 0;                                           // index into candidates
  std::vector<std::pair<double, double>> length_penalty_bleu;  // (penalty, BLEU) of the winner
  double length_penalty = 0;
  double bleu = 0;   // validation BLEU of what final.safetensors holds, with its decode settings
  std::string path;  // run_dir/final.safetensors
};

// Throws qkv::Error naming the run directory when it has no checkpoint to choose from, or the
// file when final.safetensors exists and `overwrite` is false. `say` gets one line per figure.
FinalizeResult finalize_run(const std::string& run_dir, const FinalizeOptions& options,
                            const std::function<void(std::string_view)>& say = {});

}  // namespace qkv::train
