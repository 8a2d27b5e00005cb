#!/usr/bin/env bash
# run.sh — the main job: installs what is missing, builds, and runs qkv end to end.
#
# Until the translation trainer lands (issue "Train the seq2seq Transformer end to end"), the
# main job runs the autodiff examples: micrograd's scalar expression and an MLP learning XOR.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh
echo "== examples/scalar_gradients: reverse-mode gradients of a scalar expression"
build/scalar_gradients build/scalar_gradients.dot
echo "== examples/xor_mlp: a two-layer perceptron learns XOR"
build/xor_mlp
