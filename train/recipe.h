// recipe.h — the recipes `qkv train` starts from, one per architecture: the options it uses for
// every flag the command line (or --config file) does not give.
//
//   TrainOptions o = train::default_recipe(train::Arch::transformer);   // what `qkv train` trains
//   o.max_minutes = 30;
//   train::train(o);
//
// The Transformer's is the best recipe measured on Multi30k en→de at 30 minutes on two cores
// (docs/measurements.md): a post-norm Transformer of d 128, 4 heads, 4+4 layers and a
// feed-forward block of 256 (the shape Wu et al. 2021 found best on Multi30k), one joint BPE
// vocabulary of 10,000 merges over both languages with one embedding matrix for source, target
// and output, dropout 0.3, learning rate 3e-3 after 1,000 warmup steps with inverse square root
// decay, 40 epochs (about 30 minutes there), the last 10 epochs kept and the final model chosen
// on validation (qkv finalize: the best checkpoint or the mean of the last k epochs, then the
// length penalty; beam 5). examples/multi30k_tokenised.toml spells it out.
//
// The RNN's is TrainOptions{} with arch = rnn: the plain options the library starts from
// (separate word vocabularies, learning rate 1e-3 after 400 warmup steps, 20 epochs), with the
// RNN encoder–decoder's own config (models/rnn_seq2seq_config.h).
#pragma once

#include "train/train_options.h"

namespace qkv::train {

TrainOptions default_recipe(Arch arch);

}  // namespace qkv::train
