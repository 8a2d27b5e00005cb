// train_options.h — TrainOptions: everything `qkv train` can be told. Its defaults are the plain
// starting point of the library and its tests, and the first recipe qkv shipped (Multi30k en→de:
// separate word vocabularies, a post-norm Transformer of d 256 and 3+3 layers, or with arch = rnn
// a GRU encoder–decoder with additive attention, models/rnn_seq2seq_config.h). `qkv train`
// starts from train::default_recipe() instead (train/recipe.h): the best recipe measured.
//
// Options travel with the run: they are written into every checkpoint's metadata, so
// `--resume` continues with the options the run started with (data, model, recipe) and only
// the run-control options given on the command line (epochs, time limit, patience) may change.
//
// Each option is listed once more, in train_recipe_fields or run_control_fields below (key,
// flag, help, valid range: models/config_fields.h); the metadata round trip, the range checks
// and qkv train's flags all come from those lists.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "data/sentencepiece_tokenizer.h"
#include "data/tokenizer.h"
#include "models/config_fields.h"
#include "models/rnn_seq2seq_config.h"
#include "models/transformer_config.h"
#include "optim/schedule.h"
#include "tensor/enum_names.h"
#include "tensor/precision.h"

namespace qkv::train {

// The model a run trains: a Transformer (models/transformer.h) or an RNN encoder–decoder with
// attention (models/rnn_seq2seq.h).
enum class Arch { transformer, rnn };
constexpr EnumNames<Arch, 2> enum_names(Arch) {
  return {"architecture", {{{Arch::transformer, "transformer"}, {Arch::rnn, "rnn"}}}};
}

struct TrainOptions {
  // Data: two aligned files, or one tab-separated file (train_tsv / valid_tsv).
  std::string train_source = "data/multi30k/train.en";
  std::string train_target = "data/multi30k/train.de";
  std::string valid_source = "data/multi30k/val.en";
  std::string valid_target = "data/multi30k/val.de";
  std::string train_tsv, valid_tsv;
  data::TokenizerKind tokenizer = data::TokenizerKind::whitespace;
  int64_t bpe_merges = 8000;  // with the bpe tokenizer: merges learned per side (or jointly)
  // With rawbpe or sentencepiece: the size of each learned vocabulary, the 4 specials and the
  // 256 byte pieces included (rawbpe: the merges are what is left after the characters).
  int64_t vocab_size = 8000;
  std::string spm_model;  // with sentencepiece: an spm_train .model to use instead of learning one
  data::SentencePieceType spm_type = data::SentencePieceType::unigram;  // with sentencepiece, learning
  bool joint_vocab = false;  // one tokenizer and vocabulary, learned over both sides, for both
  // A subword learner (bpe, rawbpe, a sentencepiece model learned in the run) reads at most this
  // many training pairs, a sample drawn by --seed when there are more (0: all of them), so
  // learning costs the same memory for a corpus of any size (Marian's --sentencepiece-max-lines).
  int64_t subword_max_pairs = 1000000;
  int64_t min_freq = 2;      // rarer tokens become <unk>
  int64_t max_length = 100;  // longer training pairs are dropped (tokens)

  // Model: the architecture and its config (the other one is unused).
  // The Transformer recipe (models/transformer_config.h) is d=256, 8 heads, 3+3 layers with a
  // 512-wide feed-forward block, post-norm, sinusoidal positions, tied output; the RNN recipe is
  // RnnSeq2SeqConfig's defaults.
  Arch arch = Arch::transformer;
  models::TransformerConfig model = default_model();
  models::RnnSeq2SeqConfig rnn;

  // Recipe.
  int64_t max_tokens = 2048;   // tokens per batch (padded source or target, whichever is longer)
  double lr = 1e-3;            // peak learning rate
  int64_t warmup_steps = 400;  // linear warmup, then the schedule's decay
  // inverse_sqrt: lr·√(warmup/step) after the warmup, never reaching zero; cosine: half a
  // cosine from lr down to 0 at step decay_steps (counting the warmup), then 0 (optim/schedule.h).
  LrSchedule schedule = LrSchedule::inverse_sqrt;
  int64_t decay_steps = 0;  // with cosine: where the learning rate reaches 0 (usually = max_steps)
  double beta2 = 0.98;
  double weight_decay = 0.0;
  double label_smoothing = 0.1;
  double clip_norm = 1.0;  // 0: no clipping
  uint64_t seed = 1;

  // Run control (may be changed when resuming).
  int64_t epochs = 20;
  double max_minutes = 0;  // 0: no time limit; else stop (and save) after this much training
  int64_t max_steps = 0;   // 0: no limit; else stop (and save) after this many updates
  int64_t patience = 0;    // 0: no early stopping; else stop after this many epochs without a better validation BLEU
  int64_t valid_beam = 1;  // beam size for validation BLEU (1 = greedy)
  int64_t valid_sentences = 0;   // 0: the whole validation set; else its first N sentences for BLEU
  int64_t keep_checkpoints = 0;  // 0: none; else keep the last N epochs' weights (epoch-NNN.safetensors)
  int64_t finalize_beam = 0;     // 0: no; else at the end, final.safetensors chosen on validation (train/finalize.h)
  std::string out_dir = "runs/default";
  Precision precision = Precision::fp32;  // of matrix products (tensor/precision.h); not a model property
  bool progress = true;                   // the progress bar (stderr)
  bool quiet = false;                     // the terminal gets only errors and the final message (train.log gets all)
  bool allow_data_change = false;         // --resume: continue although the data files changed (not saved)

  static models::TransformerConfig default_model() {
    models::TransformerConfig m;
    m.d_model = 256;
    m.num_heads = 8;
    m.encoder_layers = 3;
    m.decoder_layers = 3;
    m.ffn_dim = 512;
    m.dropout = 0.1;
    return m;
  }

  // The options as checkpoint metadata ("train.<name>" keys plus "model.<key>" for the config of
  // the architecture in use), and back. A checkpoint without train.arch (written before the RNN
  // existed) holds a Transformer; one without train.schedule and train.decay_steps (written
  // before --schedule) was trained with inverse-sqrt. train.precision is written only when it is
  // not fp32, so an fp32 run's metadata keeps the text of runs from before --precision.
  std::map<std::string, std::string> to_metadata() const;
  static TrainOptions from_metadata(const std::map<std::string, std::string>& metadata);
  // Throws qkv::Error naming the flag of the first option out of range (--lr, ...). The model's
  // own config is validated when the model is built from it.
  void validate() const;
};

using models::above;
using models::at_least;
using models::Field;
using models::interval;

// The options a run keeps for its whole life, resumed or not (config_fields.h; the model's own
// fields are in transformer_config_fields and rnn_seq2seq_config_fields).
inline constexpr std::tuple train_recipe_fields{
    // key, member, flag, help, valid range
    Field{"train_source", &TrainOptions::train_source, "--train-source", "training source sentences, one per line"},
    Field{"train_target", &TrainOptions::train_target, "--train-target", "training target sentences, aligned"},
    Field{"valid_source", &TrainOptions::valid_source, "--valid-source", "validation source sentences"},
    Field{"valid_target", &TrainOptions::valid_target, "--valid-target", "validation target sentences"},
    Field{"train_tsv", &TrainOptions::train_tsv, "--train-tsv",
          "training pairs as source<TAB>target lines (instead of two files)"},
    Field{"valid_tsv", &TrainOptions::valid_tsv, "--valid-tsv", "validation pairs as source<TAB>target lines"},
    Field{"tokenizer", &TrainOptions::tokenizer, "--tokenizer",
          "whitespace or bpe (tokenised text), rawbpe or sentencepiece (raw text, lossless subwords)"},
    Field{"bpe_merges", &TrainOptions::bpe_merges, "--bpe-merges", "with --tokenizer bpe: merges learned per language",
          above(0)},
    Field{"vocab_size", &TrainOptions::vocab_size, "--vocab-size",
          "with --tokenizer rawbpe or sentencepiece: vocabulary size to learn (specials and 256 byte pieces included)",
          interval('[', 300, 1000000, ']')},
    Field{"spm_model", &TrainOptions::spm_model, "--spm-model",
          "with --tokenizer sentencepiece: an spm_train .model to use instead of learning one"},
    Field{"spm_type", &TrainOptions::spm_type, "--spm-type",
          "with --tokenizer sentencepiece (no --spm-model): the model it learns, unigram or bpe"},
    Field{"joint_vocab", &TrainOptions::joint_vocab, "--joint-vocab,!--no-joint-vocab",
          "learn one tokenizer and vocabulary over source and target lines, used for both (for --share-embeddings)"},
    Field{"subword_max_pairs", &TrainOptions::subword_max_pairs, "--subword-max-pairs",
          "a subword learner reads at most this many training pairs, sampled by --seed when there are more (0: all)",
          at_least(0)},
    Field{"min_freq", &TrainOptions::min_freq, "--min-freq", "rarer tokens become <unk>", at_least(1)},
    Field{"max_length", &TrainOptions::max_length, "--max-length", "drop training pairs longer than this (tokens)",
          at_least(1)},
    Field{"arch", &TrainOptions::arch, "--arch",
          "transformer, or rnn: a recurrent encoder-decoder with attention (--rnn-* options)"},
    Field{"max_tokens", &TrainOptions::max_tokens, "--max-tokens", "tokens per batch", at_least(8)},
    Field{"lr", &TrainOptions::lr, "--lr", "peak learning rate", interval('(', 0, 10, ')')},
    Field{"warmup_steps", &TrainOptions::warmup_steps, "--warmup", "linear warmup steps, then the schedule's decay",
          at_least(1)},
    Field{"schedule", &TrainOptions::schedule, "--schedule",
          "after the warmup: inverse-sqrt (lr·√(warmup/step)), or cosine (down to 0 at --decay-steps)"},
    Field{"decay_steps", &TrainOptions::decay_steps, "--decay-steps",
          "with --schedule cosine: the step at which the learning rate reaches 0 (usually --max-steps)"},
    Field{"beta2", &TrainOptions::beta2, "--beta2", "Adam beta2", interval('(', 0, 1, ')')},
    Field{"weight_decay", &TrainOptions::weight_decay, "--weight-decay", "AdamW decoupled weight decay (0: Adam)",
          at_least(0)},
    Field{"label_smoothing", &TrainOptions::label_smoothing, "--label-smoothing", "label smoothing",
          interval('[', 0, 1, ')')},
    Field{"clip_norm", &TrainOptions::clip_norm, "--clip-norm", "clip gradients to this global norm (0: off)",
          at_least(0)},
    Field{"seed", &TrainOptions::seed, "--seed", "seed for initialisation, batching and dropout"},
};

// The options `--resume` may change (run control). progress and quiet have no key: they are not saved.
inline constexpr std::tuple run_control_fields{
    // key, member, flag, help, valid range
    Field{"epochs", &TrainOptions::epochs, "--epochs", "epochs", at_least(1)},
    Field{"max_minutes", &TrainOptions::max_minutes, "--max-minutes",
          "stop after this much training time, counting the whole run (0: none)", at_least(0)},
    Field{"max_steps", &TrainOptions::max_steps, "--max-steps", "stop after this many updates in all (0: none)",
          at_least(0)},
    Field{"patience", &TrainOptions::patience, "--patience", "early stopping: epochs without a better BLEU (0: off)",
          at_least(0)},
    Field{"valid_beam", &TrainOptions::valid_beam, "--valid-beam", "beam size for validation BLEU", at_least(1)},
    Field{"keep_checkpoints", &TrainOptions::keep_checkpoints, "--keep-checkpoints",
          "keep the last N epochs' weights as epoch-NNN.safetensors, for qkv average (0: none)", at_least(0)},
    Field{"finalize_beam", &TrainOptions::finalize_beam, "--finalize",
          "at the end of the run, choose final.safetensors on validation with this beam: best.safetensors or the mean "
          "of the last k kept epochs, then the length penalty (qkv finalize; 0: no)",
          at_least(0)},
    Field{"valid_sentences", &TrainOptions::valid_sentences, "--valid-sentences",
          "validation BLEU on the first N sentences (0: all)", at_least(0)},
    Field{"out_dir", &TrainOptions::out_dir, "--out-dir", "checkpoints, metrics.jsonl and curves go here"},
    Field{"precision", &TrainOptions::precision, "--precision",
          "matrix products: fp32, or bf16 (bfloat16 operands, fp32 sums; needs oneDNN and AVX512_BF16)"},
    Field{"", &TrainOptions::progress, "--progress,!--no-progress", "show the progress bar"},
    Field{"", &TrainOptions::quiet, "--quiet",
          "no progress bar and no per-epoch lines: only errors and the final message (train.log has them all)"},
    Field{"", &TrainOptions::allow_data_change, "--allow-data-change",
          "with --resume: continue although the training or validation files changed since the checkpoint (the "
          "batch plan changes with them; without this flag such a resume is refused)"},
};

inline constexpr auto train_option_fields = std::tuple_cat(train_recipe_fields, run_control_fields);

}  // namespace qkv::train
