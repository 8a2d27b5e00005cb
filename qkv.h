// qkv.h — everything a qkv program needs, in one include.
//
//   #include "qkv.h"
//   using namespace qkv;
//
//   Generator gen(42);                                          // explicit, seeded randomness
//   Tensor w = randn({3, 2}, gen).requires_grad_();             // a leaf: gradients accumulate here
//   Tensor x = randn({4, 3}, gen);                              // data: no gradient
//   Tensor loss = mean(pow(tanh(matmul(x, w)), 2.0));           // records a graph as it runs
//   loss.backward();                                            // fills w.grad(), shape [3, 2]
//   fmt::print("{}\n{}\n", loss, w.grad());
//   std::cout << to_dot(loss);                                  // the graph, as Graphviz DOT
//
// Layers, from the bottom: tensor/ (storage, views, raw kernels in qkv::raw, no gradients),
// autograd/ (the graph, the backward engine, differentiable ops in qkv::), nn/ (modules,
// layers, losses, attention), optim/ (optimizers, schedules, clipping), then models/. What is not here: GPUs, higher-order gradients (backward records nothing), and
// dtypes beyond float32, float64, int64 and bool.
#pragma once

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
#include "nn/attention/mask.h"
#include "nn/attention/multi_head_attention.h"
#include "nn/attention/variant.h"
#include "nn/embedding.h"
#include "nn/functional.h"
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/linear.h"
#include "nn/module.h"
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
