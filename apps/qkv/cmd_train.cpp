// cmd_train.cpp — `qkv train`: flags (or a config file) into TrainOptions, then train or resume.
// The model flags come in two sets, one per --arch: the Transformer's (--d-model, --heads, ...)
// and the RNN's (--rnn-*); giving a flag of the other architecture is an error that says so.
#include <fmt/format.h>

#include <memory>
#include <optional>

#include "apps/qkv/commands.h"
#include "apps/qkv/config_file.h"
#include "tensor/error.h"
#include "train/trainer.h"

namespace qkv::cli {

Command add_train(CLI::App& app) {
  auto o = std::make_shared<train::TrainOptions>();
  auto resume = std::make_shared<std::string>();
  auto config = std::make_shared<std::string>();
  app.add_option("--config", *config,
                 "read options from a TOML/INI file (keys are the long flag names, e.g. lr = 0.001; the command line "
                 "wins)")
      ->check(CLI::ExistingFile);
  app.add_option("--resume", *resume, "continue the run saved in this checkpoint (usually <out-dir>/last.safetensors)");
  // Data
  app.add_option("--train-source", o->train_source, "training source sentences, one per line")->capture_default_str();
  app.add_option("--train-target", o->train_target, "training target sentences, aligned")->capture_default_str();
  app.add_option("--valid-source", o->valid_source, "validation source sentences")->capture_default_str();
  app.add_option("--valid-target", o->valid_target, "validation target sentences")->capture_default_str();
  app.add_option("--train-tsv", o->train_tsv, "training pairs as source<TAB>target lines (instead of two files)");
  app.add_option("--valid-tsv", o->valid_tsv, "validation pairs as source<TAB>target lines");
  app.add_option("--tokenizer", o->tokenizer, "whitespace or bpe")->capture_default_str();
  app.add_option("--bpe-merges", o->bpe_merges, "BPE merges learned per language")->capture_default_str();
  app.add_option("--min-freq", o->min_freq, "rarer tokens become <unk>")->capture_default_str();
  app.add_option("--max-length", o->max_length, "drop training pairs longer than this (tokens)")->capture_default_str();
  // Model
  app.add_option("--arch", o->arch, "transformer, or rnn: a recurrent encoder-decoder with attention (--rnn-* options)")
      ->capture_default_str();
  const size_t transformer_first = app.get_options().size();
  auto& m = o->model;
  app.add_option("--d-model", m.d_model, "model width")->capture_default_str();
  app.add_option("--heads", m.num_heads, "attention heads")->capture_default_str();
  app.add_option("--encoder-layers", m.encoder_layers, "encoder layers")->capture_default_str();
  app.add_option("--decoder-layers", m.decoder_layers, "decoder layers")->capture_default_str();
  app.add_option("--ffn-dim", m.ffn_dim, "position-wise feed-forward width")->capture_default_str();
  app.add_option("--dropout", m.dropout, "residual and embedding dropout")->capture_default_str();
  app.add_option("--attention-dropout", m.attention_dropout, "dropout on attention weights")->capture_default_str();
  app.add_flag("--pre-norm,!--post-norm", m.pre_norm,
               "LayerNorm before each sublayer (default: after, as in the paper)");
  app.add_flag("--learned-positions", m.learned_positions, "learned position embeddings instead of sinusoids");
  app.add_flag("--share-embeddings", m.share_embeddings, "one embedding matrix for source, target and output");
  app.add_flag("--tie-output,!--no-tie-output", m.tie_output, "output projection shares the target embedding")
      ->capture_default_str();
  app.add_option("--self-attention", m.self_attention, "attention variant for self-attention (qkv variants)")
      ->capture_default_str();
  app.add_option("--cross-attention", m.cross_attention, "attention variant for encoder-decoder attention")
      ->capture_default_str();
  app.add_option("--activation", m.activation, "feed-forward activation")->capture_default_str();
  const size_t rnn_first = app.get_options().size();
  auto& r = o->rnn;
  app.add_option("--rnn-cell", r.cell, "gru or lstm, in encoder and decoder")->capture_default_str();
  app.add_option("--rnn-embedding", r.embedding_dim, "source and target embedding width (and the readout's)")
      ->capture_default_str();
  app.add_option("--rnn-encoder-hidden", r.encoder_hidden, "encoder state width per direction")->capture_default_str();
  app.add_option("--rnn-encoder-layers", r.encoder_layers, "encoder layers")->capture_default_str();
  app.add_flag("--rnn-bidirectional,!--rnn-unidirectional", r.bidirectional, "the encoder reads both ways")
      ->capture_default_str();
  app.add_option("--rnn-decoder-hidden", r.decoder_hidden, "decoder state width")->capture_default_str();
  app.add_option("--rnn-decoder-layers", r.decoder_layers, "decoder layers")->capture_default_str();
  app.add_option("--rnn-attention", r.attention,
                 "how the decoder state is matched against each encoder state: any content-based variant (qkv "
                 "variants), e.g. additive, bilinear, cosine")
      ->capture_default_str();
  app.add_option("--rnn-dropout", r.dropout, "dropout on embeddings, between layers and on the readout")
      ->capture_default_str();
  app.add_flag("--rnn-tie-output,!--rnn-no-tie-output", r.tie_output, "output projection shares the target embedding")
      ->capture_default_str();
  const size_t rnn_end = app.get_options().size();
  // Recipe
  app.add_option("--max-tokens", o->max_tokens, "tokens per batch")->capture_default_str();
  app.add_option("--lr", o->lr, "peak learning rate")->capture_default_str();
  app.add_option("--warmup", o->warmup_steps, "linear warmup steps, then the schedule's decay")->capture_default_str();
  app.add_option("--schedule", o->schedule,
                 "after the warmup: inverse-sqrt (lr·√(warmup/step)), or cosine (down to 0 at --decay-steps)")
      ->capture_default_str();
  app.add_option("--decay-steps", o->decay_steps,
                 "with --schedule cosine: the step at which the learning rate reaches 0 (usually --max-steps)")
      ->capture_default_str();
  app.add_option("--beta2", o->beta2, "Adam beta2")->capture_default_str();
  app.add_option("--weight-decay", o->weight_decay, "AdamW decoupled weight decay (0: Adam)")->capture_default_str();
  app.add_option("--label-smoothing", o->label_smoothing, "label smoothing")->capture_default_str();
  app.add_option("--clip-norm", o->clip_norm, "clip gradients to this global norm (0: off)")->capture_default_str();
  app.add_option("--seed", o->seed, "seed for initialisation, batching and dropout")->capture_default_str();
  // Run control: the only options --resume accepts (the others come from the checkpoint).
  const size_t run_control_first = app.get_options().size();
  auto* epochs = app.add_option("--epochs", o->epochs, "epochs")->capture_default_str();
  auto* max_minutes = app.add_option("--max-minutes", o->max_minutes,
                                     "stop after this much training time, counting the whole run (0: none)")
                          ->capture_default_str();
  auto* max_steps = app.add_option("--max-steps", o->max_steps, "stop after this many updates in all (0: none)")
                        ->capture_default_str();
  auto* patience =
      app.add_option("--patience", o->patience, "early stopping: epochs without a better BLEU (0: off)")
          ->capture_default_str();
  auto* valid_beam = app.add_option("--valid-beam", o->valid_beam, "beam size for validation BLEU")->capture_default_str();
  auto* keep_checkpoints =
      app.add_option("--keep-checkpoints", o->keep_checkpoints,
                     "keep the last N epochs' weights as epoch-NNN.safetensors, for qkv average (0: none)")
          ->capture_default_str();
  auto* valid_sentences =
      app.add_option("--valid-sentences", o->valid_sentences, "validation BLEU on the first N sentences (0: all)")
          ->capture_default_str();
  auto* out_dir =
      app.add_option("--out-dir", o->out_dir, "checkpoints, metrics.jsonl and curves go here")->capture_default_str();
  app.add_flag("--progress,!--no-progress", o->progress, "show the progress bar")->capture_default_str();

  // The options of each architecture: a heading of their own in --help, and the ones to reject
  // when the other architecture is chosen.
  const std::vector<CLI::Option*> all = app.get_options();
  const std::vector<CLI::Option*> transformer_options(all.begin() + transformer_first, all.begin() + rnn_first);
  const std::vector<CLI::Option*> rnn_options(all.begin() + rnn_first, all.begin() + rnn_end);
  const std::vector<CLI::Option*> fixed_by_checkpoint(all.begin(), all.begin() + run_control_first);
  for (CLI::Option* opt : transformer_options) opt->group("Transformer model (--arch transformer)");
  for (CLI::Option* opt : rnn_options) opt->group("RNN model (--arch rnn)");

  return [=, &app]() {
    if (!config->empty()) apply_config_file(app, *config);
    // A resumed run keeps its data, model and recipe: a flag that would change them is an error,
    // not silently ignored. Run-control flags not given keep the checkpoint's values.
    for (const CLI::Option* opt : fixed_by_checkpoint) {
      if (resume->empty() || opt->count() == 0 || opt->get_name() == "--resume" || opt->get_name() == "--config")
        continue;
      throw Error(fmt::format("qkv train: {} cannot change when resuming: the run continues with the options saved in "
                              "'{}'; only --epochs, --max-minutes, --max-steps, --patience, --valid-beam, "
                              "--valid-sentences, --keep-checkpoints, --out-dir and --progress may be given",
                              opt->get_name(), *resume));
    }
    for (const CLI::Option* opt : o->arch == "rnn" ? transformer_options : rnn_options) {
      if (opt->count() == 0) continue;
      throw Error(o->arch == "rnn"
                      ? fmt::format("qkv train: {} is a Transformer option; with --arch rnn use the --rnn-* options "
                                    "(qkv train --help)",
                                    opt->get_name())
                      : fmt::format("qkv train: {} is an RNN option; it needs --arch rnn", opt->get_name()));
    }
    if (!o->train_tsv.empty()) o->train_source = o->train_target = "";
    if (!o->valid_tsv.empty()) o->valid_source = o->valid_target = "";
    if (resume->empty()) {
      train::train(*o);
      return 0;
    }
    train::RunControl control;
    auto given = [](const CLI::Option* opt, auto value) { return opt->count() ? std::optional(value) : std::nullopt; };
    control.epochs = given(epochs, o->epochs);
    control.max_minutes = given(max_minutes, o->max_minutes);
    control.max_steps = given(max_steps, o->max_steps);
    control.patience = given(patience, o->patience);
    control.valid_beam = given(valid_beam, o->valid_beam);
    control.valid_sentences = given(valid_sentences, o->valid_sentences);
    control.keep_checkpoints = given(keep_checkpoints, o->keep_checkpoints);
    if (out_dir->count()) control.out_dir = o->out_dir;
    control.progress = o->progress;
    train::resume(*resume, control);
    return 0;
  };
}

}  // namespace qkv::cli
