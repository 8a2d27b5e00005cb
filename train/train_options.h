// train_options.h — TrainOptions: everything `qkv train` can be told, with the defaults of the
// bundled recipes (Multi30k en→de: a small post-norm Transformer, or with arch = "rnn" a GRU
// encoder–decoder with additive attention, models/rnn_seq2seq_config.h).
//
// Options travel with the run: they are written into every checkpoint's metadata, so
// `--resume` continues with the options the run started with (data, model, recipe) and only
// the run-control options given on the command line (epochs, time limit, patience) may change.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "models/rnn_seq2seq_config.h"
#include "models/transformer_config.h"

namespace qkv::train {

struct TrainOptions {
  // Data: two aligned files, or one tab-separated file (train_tsv / valid_tsv).
  std::string train_source = "data/multi30k/train.en";
  std::string train_target = "data/multi30k/train.de";
  std::string valid_source = "data/multi30k/val.en";
  std::string valid_target = "data/multi30k/val.de";
  std::string train_tsv, valid_tsv;
  std::string tokenizer = "whitespace";  // "whitespace" or "bpe"
  int64_t bpe_merges = 8000;             // with tokenizer = "bpe": merges learned per side
  int64_t min_freq = 2;                  // rarer tokens become <unk>
  int64_t max_length = 100;              // longer training pairs are dropped (tokens)

  // Model: the architecture, "transformer" or "rnn", and its config (the other one is unused).
  // The Transformer recipe (models/transformer_config.h) is d=256, 8 heads, 3+3 layers with a
  // 512-wide feed-forward block, post-norm, sinusoidal positions, tied output; the RNN recipe is
  // RnnSeq2SeqConfig's defaults.
  std::string arch = "transformer";
  models::TransformerConfig model = default_model();
  models::RnnSeq2SeqConfig rnn;

  // Recipe.
  int64_t max_tokens = 2048;   // tokens per batch (padded source or target, whichever is longer)
  double lr = 1e-3;            // peak learning rate
  int64_t warmup_steps = 400;  // linear warmup, then the schedule's decay
  // "inverse-sqrt": lr·√(warmup/step) after the warmup, never reaching zero; "cosine": half a
  // cosine from lr down to 0 at step decay_steps (counting the warmup), then 0 (optim/schedule.h).
  std::string schedule = "inverse-sqrt";
  int64_t decay_steps = 0;  // with "cosine": where the learning rate reaches 0 (usually = max_steps)
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
  std::string out_dir = "runs/default";
  bool progress = true;  // the progress bar (stderr)

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
  // existed) holds a Transformer.
  std::map<std::string, std::string> to_metadata() const;
  static TrainOptions from_metadata(const std::map<std::string, std::string>& metadata);
  // Throws qkv::Error naming the first option out of range.
  void validate() const;
};

}  // namespace qkv::train
