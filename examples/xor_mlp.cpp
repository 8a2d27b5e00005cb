// xor_mlp.cpp — a two-layer perceptron learns XOR with hand-written gradient descent.
//
// XOR is the classic function no single linear layer can compute: (0,0)->0, (0,1)->1,
// (1,0)->1, (1,1)->0. A hidden layer of 8 tanh units makes it learnable. Everything a training
// loop does is spelled out here — no nn/ or optim/ helpers:
//
//   forward:  p = sigmoid(tanh(x·W1 + b1)·W2 + b2)      x: [4, 2], p: [4, 1]
//   loss:     binary cross-entropy between p and the targets y
//   backward: loss.backward() fills W1.grad(), b1.grad(), W2.grad(), b2.grad()
//   update:   w -= lr · w.grad() for each parameter, then clear the gradients
//
// The run is seeded, so it prints the same numbers every time. It exits with status 0 only
// if all four predictions are right, so ctest runs it as a test.
#include <vector>

#include "qkv.h"
#include "tensor/elementwise.h"  // raw::add_, the in-place update (qkv.h has only the differentiable ops)

using namespace qkv;

int main() {
  // ---- Data: the four XOR cases, one per row -----------------------------------------------
  const Tensor x = from_vector<float>({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  const Tensor y = from_vector<float>({0, 1, 1, 0}, {4, 1});

  // ---- Parameters: leaves that require grad ------------------------------------------------
  // Small random weights break the symmetry between hidden units (if all started equal, they
  // would all get equal gradients and stay equal forever). Biases start at zero.
  Generator gen(7);
  Tensor w1 = randn({2, 8}, gen, Dtype::float32, 0.0, 1.0).requires_grad_();
  Tensor b1 = zeros({8}).requires_grad_();
  Tensor w2 = randn({8, 1}, gen, Dtype::float32, 0.0, 0.5).requires_grad_();
  Tensor b2 = zeros({1}).requires_grad_();
  std::vector<Tensor*> params = {&w1, &b1, &w2, &b2};

  const double learning_rate = 0.5;
  const int steps = 2000;

  for (int step = 0; step <= steps; ++step) {
    // ---- Forward: every op records a graph node, because the parameters require grad ------
    const Tensor hidden = tanh(matmul(x, w1) + b1);     // [4, 8]; b1 [8] broadcasts over rows
    const Tensor p = sigmoid(matmul(hidden, w2) + b2);  // [4, 1], each a probability of "1"

    // Binary cross-entropy: -mean(y·log p + (1 - y)·log(1 - p)). It is small when p is close
    // to y and grows without bound as a prediction approaches the wrong answer.
    const Tensor loss = -mean(y * log(p) + (1.0 - y) * log(1.0 - p));

    if (step % 200 == 0) fmt::print("step {:4d}  loss {:.6f}\n", step, loss.item());
    if (step == steps) break;  // the last iteration only reports the loss

    // ---- Backward: d(loss)/d(parameter) for every parameter, in one pass ------------------
    loss.backward();

    // ---- Update: plain gradient descent ---------------------------------------------------
    // The update itself must not be recorded (it is not part of the model), so it runs under
    // NoGradGuard and uses the raw in-place kernel: w += (-lr) · w.grad().
    // zero_grad() then clears the gradient; otherwise the next backward would add to it.
    {
      NoGradGuard no_grad;
      for (Tensor* w : params) {
        raw::add_(*w, w->grad(), -learning_rate);
        w->zero_grad();
      }
    }
  }

  // ---- Evaluate: predictions without recording a graph ---------------------------------------
  NoGradGuard no_grad;
  const Tensor p = sigmoid(matmul(tanh(matmul(x, w1) + b1), w2) + b2);
  const std::vector<float> inputs = to_vector<float>(x);
  const std::vector<float> targets = to_vector<float>(y);
  const std::vector<float> probabilities = to_vector<float>(p);
  int correct = 0;
  fmt::print("\n x1 x2 | target | p(1)   | predicted\n");
  for (int i = 0; i < 4; ++i) {
    const int predicted = probabilities[i] > 0.5f ? 1 : 0;
    const bool right = predicted == static_cast<int>(targets[i]);
    correct += right ? 1 : 0;
    fmt::print("  {:.0f}  {:.0f} |   {:.0f}    | {:.4f} |  {}  {}\n", inputs[2 * i], inputs[2 * i + 1], targets[i],
               probabilities[i], predicted, right ? "ok" : "WRONG");
  }
  fmt::print("{}/4 correct\n", correct);
  return correct == 4 ? 0 : 1;
}
