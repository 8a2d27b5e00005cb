// qkv.h — the public API in one include: tensors, autograd, nn (attention included), optim,
// models, data, checkpoints, metrics and plots.
//
//   #include "qkv.h"
//   using namespace qkv;
//
//   Generator gen(42);                                          // explicit, seeded randomness
//   Tensor w = randn({3, 2}, gen).requires_grad_();             // a leaf: gradients accumulate here
//   Tensor x = randn({4, 3}, gen);                              // data: no gradient
//   Tensor loss = mean(pow(tanh(matmul(x, w)), 2.0));           // records a graph as it runs
//   std::cout << to_dot(loss);                                  // the graph, as Graphviz DOT
//   loss.backward();                                            // fills w.grad(), shape [3, 2]; frees the graph
//   fmt::print("{}\n{}\n", loss, w.grad());
//
//   train::LoadedModel m = train::load_model("runs/en-de/best.safetensors");   // a trained model
//   fmt::print("{}\n", m.translate({"a dog runs on the beach ."})[0]);
//
// Layers, from the bottom: tensor/ (storage, views, raw kernels in qkv::raw, no gradients),
// autograd/ (the graph, the backward engine, differentiable ops in qkv::), nn/ (modules,
// layers, losses, attention, recurrent cells), optim/ (optimizers, schedules, clipping),
// models/ (Transformer, RNN encoder–decoder, decoding), data/ (corpora, tokenizers,
// vocabularies, batches), io/ (safetensors), train/ (training runs, their checkpoints, a
// trained model in one call), metrics/ (BLEU, chrF), viz/ (SVG plots and heatmaps).
// What is not here: GPUs, higher-order gradients (backward records nothing), and dtypes beyond
// float32, float64, int64 and bool.
#pragma once

#include "qkv_version.h"

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/gradcheck.h"
#include "autograd/graphviz.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/index.h"
#include "autograd/ops/linear.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/views.h"
#include "data/batching.h"
#include "data/bpe.h"
#include "data/corpus.h"
#include "data/tokenizer.h"
#include "data/vocab.h"
#include "io/module_checkpoint.h"
#include "io/safetensors.h"
#include "metrics/bleu.h"
#include "metrics/chrf.h"
#include "models/decoding.h"
#include "models/rnn_seq2seq.h"
#include "models/seq2seq.h"
#include "models/transformer.h"
#include "nn/attention/mask.h"
#include "nn/attention/multi_head_attention.h"
#include "nn/attention/variant.h"
#include "nn/embedding.h"
#include "nn/functional.h"
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/rnn/gru.h"
#include "nn/rnn/lstm.h"
#include "optim/adam.h"
#include "optim/clip.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "optim/sgd.h"
#include "tensor/factories.h"
#include "tensor/format.h"
#include "tensor/parallel.h"
#include "tensor/random.h"
#include "tensor/tensor.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/recipe.h"
#include "train/trained_model.h"
#include "train/trainer.h"
#include "viz/attention_maps.h"
#include "viz/heatmap.h"
#include "viz/line_plot.h"
