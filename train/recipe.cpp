// recipe.cpp — the values of the recipes in recipe.h.
#include "train/recipe.h"

namespace qkv::train {

TrainOptions default_recipe(Arch arch) {
  TrainOptions o;
  o.arch = arch;
  if (arch == Arch::rnn) return o;
  o.tokenizer = data::TokenizerKind::bpe;
  o.bpe_merges = 10000;
  o.joint_vocab = true;
  o.model.d_model = 128;
  o.model.num_heads = 4;
  o.model.encoder_layers = 4;
  o.model.decoder_layers = 4;
  o.model.ffn_dim = 256;
  o.model.dropout = 0.3;
  o.model.share_embeddings = true;
  o.lr = 3e-3;
  o.warmup_steps = 1000;
  o.epochs = 40;
  o.keep_checkpoints = 10;
  o.finalize_beam = 5;
  return o;
}

}  // namespace qkv::train
