// first_program.cpp — the README's "A first program", compiled so it cannot rot: a small
// expression, its recorded graph as Graphviz DOT, then backward and the gradient.
//
//   first_program > out.txt      # the loss, the gradient, then the graph
//
// The graph is drawn before backward(), which frees it (autograd/engine.h, step 4). The program
// checks what it prints: a graph of the whole expression (an op node for each of matmul, tanh,
// pow and mean) and a gradient of w's shape; otherwise it exits with status 1.
#include "qkv.h"
using namespace qkv;

int main() {
  Generator gen(42);                                 // explicit, seeded randomness
  Tensor w = randn({3, 2}, gen).requires_grad_();    // a leaf: gradients accumulate here
  Tensor x = randn({4, 3}, gen);                     // data
  Tensor loss = mean(pow(tanh(matmul(x, w)), 2.0));  // records the graph as it runs
  std::string dot = to_dot(loss);                    // the graph, for Graphviz (before backward frees it)
  loss.backward();                                   // fills w.grad(), shape [3, 2]
  fmt::print("{}\n{}\n{}", loss, w.grad(), dot);

  // The self-check (not in the README): every op of the expression is a node of the graph.
  int missing = 0;
  for (const char* op : {"matmul", "tanh", "pow", "mean"}) {
    if (dot.find(op) == std::string::npos) {
      fmt::print(stderr, "first_program: the graph has no '{}' node:\n{}", op, dot);
      ++missing;
    }
  }
  if (!w.grad().defined() || w.grad().shape() != Shape{3, 2}) {
    fmt::print(stderr, "first_program: w.grad() is not a [3, 2] gradient\n");
    return 1;
  }
  return missing == 0 ? 0 : 1;
}
