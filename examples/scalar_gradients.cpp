// scalar_gradients.cpp — reverse-mode autodiff on one scalar expression, step by step.
//
// This is the expression from the README of Andrej Karpathy's micrograd, computed with qkv
// tensors that each hold one float64 number. The program prints g and the gradients dg/da and
// dg/db, and checks them against the numbers micrograd prints (24.7041, 138.8338, 645.5773),
// so it doubles as a test: it exits with status 1 if any of them differs.
//
//   scalar_gradients              # print the values
//   scalar_gradients graph.dot    # also write the recorded graph as Graphviz DOT
//   dot -Tsvg graph.dot -o graph.svg
#include <fstream>

#include "qkv.h"

using namespace qkv;

int main(int argc, char** argv) {
  // ---- 1. Leaves ------------------------------------------------------------------------
  // A "leaf" is an input we want gradients for. scalar() makes a rank-0 tensor (one number);
  // requires_grad_() tells qkv to remember every operation that uses it, so that afterwards
  // it can answer "how much would g change if a changed a little?" — the derivative dg/da.
  // float64 keeps rounding far below the 4 decimals we compare.
  Tensor a = scalar(-4.0, Dtype::float64).requires_grad_();
  Tensor b = scalar(2.0, Dtype::float64).requires_grad_();

  // ---- 2. The forward pass: compute g, recording a graph as we go ------------------------
  // Each operation below computes its value right away (like ordinary arithmetic) and, since
  // an input requires grad, also appends a node to a graph: "this value was made by `mul`
  // from these inputs, and here is how to send a gradient back through `mul`".
  //
  // micrograd writes `c += ...`; qkv tensors share their data when copied, so we write the
  // update as `c = c + (...)`, which makes a new node and leaves the old value of c in the
  // graph where later gradients can reach it.
  Tensor c = a + b;                 // c = -2
  Tensor d = a * b + pow(b, 3.0);   // d = -8 + 8 = 0
  c = c + (c + 1.0);                // c += c + 1          -> -3
  c = c + (1.0 + c + (-a));         // c += 1 + c + (-a)   -> -1
  d = d + (d * 2.0 + relu(b + a));  // d += d*2 + relu(b+a), relu(-2) = 0
  d = d + (3.0 * d + relu(b - a));  // d += 3*d + relu(b-a), relu(6) = 6
  Tensor e = c - d;                 // e = -7
  Tensor f = pow(e, 2.0);           // f = 49
  Tensor g = f / 2.0;               // g = 24.5
  g = g + 10.0 / f;                 // g += 10/f           -> 24.7041

  // ---- 3. The graph, for a picture --------------------------------------------------------
  // to_dot() lists every recorded op (ellipses, with the op's name) and every leaf (boxes),
  // with edges in the direction the forward pass ran. We draw it now because backward()
  // frees the graph as it goes (call backward(/*retain_graph=*/true) to keep it).
  if (argc > 1) {
    std::ofstream out(argv[1]);
    out << to_dot(g, {{&a, "a"}, {&b, "b"}});
    if (!out) {
      fmt::print(stderr, "scalar_gradients: could not write {}\n", argv[1]);
      return 1;
    }
    fmt::print("graph written to {} (render with: dot -Tsvg {} -o graph.svg)\n", argv[1], argv[1]);
  }

  // ---- 4. The backward pass ---------------------------------------------------------------
  // backward() starts at g with dg/dg = 1 and walks the graph from the end to the beginning.
  // At each node it applies the chain rule: the gradient arriving at the node's output, times
  // the local derivative of the node, is the gradient sent to each of the node's inputs. When
  // a value was used several times (a and b are used many times here), the gradients from all
  // its uses are added up. At the leaves they are stored in .grad().
  // Walking backwards costs about as much as the forward pass, however many leaves there are:
  // that is why neural networks with millions of parameters are trained this way.
  g.backward();

  const double g_value = g.item();
  const double a_grad = a.grad().item();
  const double b_grad = b.grad().item();
  fmt::print("g       = {:.4f}\n", g_value);
  fmt::print("dg/da   = {:.4f}\n", a_grad);
  fmt::print("dg/db   = {:.4f}\n", b_grad);
  // What the numbers mean: dg/da = 138.8 says that nudging a from -4 to -4 + 0.001 would
  // raise g by about 0.001 · 138.8 = 0.139. Gradient descent uses exactly this information:
  // to make g smaller, move each leaf a little against its gradient.

  // ---- 5. Check against micrograd ---------------------------------------------------------
  // micrograd's README prints these three numbers with 4 decimals; ours must print the same.
  const bool ok = fmt::format("{:.4f}", g_value) == "24.7041" && fmt::format("{:.4f}", a_grad) == "138.8338" &&
                  fmt::format("{:.4f}", b_grad) == "645.5773";
  if (!ok) {
    fmt::print(stderr, "scalar_gradients: expected g = 24.7041, dg/da = 138.8338, dg/db = 645.5773 (micrograd)\n");
    return 1;
  }
  fmt::print("matches micrograd: g = 24.7041, dg/da = 138.8338, dg/db = 645.5773\n");
  return 0;
}
