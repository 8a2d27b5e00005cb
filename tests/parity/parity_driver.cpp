// parity_driver.cpp — runs JSON-described programs through qkv for the PyTorch parity tests.
//
// Reads one request from stdin and writes one reply to stdout. A request is either one case or
// {"cases": [case, ...]} (the reply is then {"results": [reply, ...]}). A case:
//
//   {"inputs":  [{"shape": [2, 3], "dtype": "float64", "data": [...], "requires_grad": true}, ...],
//    "program": [{"op": "matmul", "args": [0, 1], "attrs": {}}, ...],
//    "grad_output": {"shape": [...], "dtype": "...", "data": [...]}}          (optional)
//
// Values are numbered inputs first, then the results of each step in order (a step with several
// results, like split, appends them all); `args` index into that list. The last value is the
// output. The driver runs backward from it with grad_output, or from the output itself when it
// has one element and grad_output is absent, and replies
//
//   {"output": {"shape", "dtype", "data"}, "grads": [{"shape", "dtype", "data"} or null, ...]}
//
// with one grad per input (null when the input does not require grad or got no gradient).
// Tensors, numbers (exact; "inf", "-inf", "nan" as strings) and exit codes are driver_json.h's:
// a malformed request or unknown op exits 2, an error thrown by qkv exits 1; stderr says which
// case and step failed and why.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "nn/functional.h"
#include "qkv.h"
#include "tensor/elementwise.h"
#include "tests/parity/driver_json.h"

using namespace qkv;
using namespace qkv::parity;

namespace {

// ---- one program step: its arguments and attributes ---------------------------------------

// The results of one step: one tensor for most ops, several for split.
struct Values {
  Values(Tensor t) : list{std::move(t)} {}
  Values(std::vector<Tensor> v) : list(std::move(v)) {}
  std::vector<Tensor> list;
};

// What an op sees: its argument tensors and typed access to its attributes. It remembers what
// the op read, so that unused arguments or misspelt attributes are reported instead of ignored.
class Step {
 public:
  Step(std::vector<Tensor> args, const json& attrs) : args_(std::move(args)), attrs_(attrs) {}

  const Tensor& arg(size_t i) const {
    if (i >= args_.size()) throw RequestError("needs argument " + std::to_string(i) + ", got " + count());
    used_args_ = std::max(used_args_, i + 1);
    return args_[i];
  }
  const std::vector<Tensor>& all_args() const {
    used_args_ = args_.size();
    return args_;
  }
  bool has(const std::string& name) const { return attrs_.contains(name); }
  int64_t integer(const std::string& name) const { return attr(name).get<int64_t>(); }
  double number(const std::string& name) const { return number_from_json(attr(name)); }
  bool flag(const std::string& name, bool fallback) const { return has(name) ? attr(name).get<bool>() : fallback; }
  std::vector<int64_t> integers(const std::string& name) const { return attr(name).get<std::vector<int64_t>>(); }
  Shape shape(const std::string& name) const { return Shape(integers(name)); }
  Shape axes(const std::string& name) const { return has(name) ? shape(name) : Shape{}; }
  Dtype dtype(const std::string& name) const { return dtype_from_name(attr(name).get<std::string>()); }

  // Throws if the op left an argument or an attribute unread.
  void check_all_used() const {
    if (used_args_ < args_.size())
      throw RequestError("uses " + std::to_string(used_args_) + " arguments, got " + count());
    for (const auto& [name, value] : attrs_.items()) {
      if (!used_attrs_.count(name)) throw RequestError("unknown attribute '" + name + "'");
    }
  }

 private:
  const json& attr(const std::string& name) const {
    if (!has(name)) throw RequestError("missing attribute '" + name + "'");
    used_attrs_.insert(name);
    return attrs_.at(name);
  }
  std::string count() const { return std::to_string(args_.size()) + " argument(s)"; }

  std::vector<Tensor> args_;
  const json& attrs_;
  mutable size_t used_args_ = 0;
  mutable std::set<std::string> used_attrs_;
};

using Op = std::function<Values(const Step&)>;

// ---- the op registry: one line per op ----------------------------------------------------

// Reductions as numbered in nn_parity.py: 0 none, 1 mean, 2 sum.
Reduction reduction(int64_t code) {
  if (code < 0 || code > 2) throw RequestError("reduction must be 0 (none), 1 (mean) or 2 (sum)");
  return code == 0 ? Reduction::none : code == 1 ? Reduction::mean : Reduction::sum;
}

const std::map<std::string, Op>& registry() {
  static const std::map<std::string, Op> ops = {
      // elementwise, binary (broadcasting) and with a scalar
      {"add", [](const Step& s) { return add(s.arg(0), s.arg(1)); }},
      {"sub", [](const Step& s) { return sub(s.arg(0), s.arg(1)); }},
      {"mul", [](const Step& s) { return mul(s.arg(0), s.arg(1)); }},
      {"div", [](const Step& s) { return div(s.arg(0), s.arg(1)); }},
      {"pow", [](const Step& s) { return pow(s.arg(0), s.arg(1)); }},
      {"maximum", [](const Step& s) { return maximum(s.arg(0), s.arg(1)); }},
      {"minimum", [](const Step& s) { return minimum(s.arg(0), s.arg(1)); }},
      {"add_scalar", [](const Step& s) { return s.arg(0) + s.number("value"); }},
      {"sub_scalar", [](const Step& s) { return s.arg(0) - s.number("value"); }},
      {"rsub_scalar", [](const Step& s) { return s.number("value") - s.arg(0); }},
      {"mul_scalar", [](const Step& s) { return s.arg(0) * s.number("value"); }},
      {"div_scalar", [](const Step& s) { return s.arg(0) / s.number("value"); }},
      {"rdiv_scalar", [](const Step& s) { return s.number("value") / s.arg(0); }},
      {"pow_scalar", [](const Step& s) { return pow(s.arg(0), s.number("exponent")); }},
      // elementwise, unary
      {"neg", [](const Step& s) { return neg(s.arg(0)); }},
      {"exp", [](const Step& s) { return exp(s.arg(0)); }},
      {"log", [](const Step& s) { return log(s.arg(0)); }},
      {"sqrt", [](const Step& s) { return sqrt(s.arg(0)); }},
      {"abs", [](const Step& s) { return abs(s.arg(0)); }},
      {"tanh", [](const Step& s) { return tanh(s.arg(0)); }},
      {"sigmoid", [](const Step& s) { return sigmoid(s.arg(0)); }},
      {"relu", [](const Step& s) { return relu(s.arg(0)); }},
      {"gelu", [](const Step& s) { return gelu(s.arg(0)); }},
      {"where", [](const Step& s) { return where(s.arg(0), s.arg(1), s.arg(2)); }},
      {"masked_fill", [](const Step& s) { return masked_fill(s.arg(0), s.arg(1), s.number("value")); }},
      {"clone", [](const Step& s) { return clone(s.arg(0)); }},
      {"to_dtype", [](const Step& s) { return to_dtype(s.arg(0), s.dtype("dtype")); }},
      // views
      {"view", [](const Step& s) { return view(s.arg(0), s.shape("shape")); }},
      {"reshape", [](const Step& s) { return reshape(s.arg(0), s.shape("shape")); }},
      {"flatten", [](const Step& s) { return flatten(s.arg(0)); }},
      {"transpose", [](const Step& s) { return transpose(s.arg(0), s.integer("dim0"), s.integer("dim1")); }},
      {"permute", [](const Step& s) { return permute(s.arg(0), s.shape("dims")); }},
      {"narrow",
       [](const Step& s) { return narrow(s.arg(0), s.integer("dim"), s.integer("start"), s.integer("length")); }},
      {"slice",
       [](const Step& s) {
         return slice(s.arg(0), s.integer("dim"), s.integer("start"), s.integer("end"), s.integer("step"));
       }},
      {"select", [](const Step& s) { return select(s.arg(0), s.integer("dim"), s.integer("index")); }},
      {"squeeze", [](const Step& s) { return s.has("dim") ? squeeze(s.arg(0), s.integer("dim")) : squeeze(s.arg(0)); }},
      {"unsqueeze", [](const Step& s) { return unsqueeze(s.arg(0), s.integer("dim")); }},
      {"expand", [](const Step& s) { return expand(s.arg(0), s.shape("shape")); }},
      {"contiguous", [](const Step& s) { return contiguous(s.arg(0)); }},
      // reductions and softmaxes ("axes" absent or [] means all axes)
      {"sum", [](const Step& s) { return sum(s.arg(0), s.axes("axes"), s.flag("keepdim", false)); }},
      {"mean", [](const Step& s) { return mean(s.arg(0), s.axes("axes"), s.flag("keepdim", false)); }},
      {"max", [](const Step& s) { return max(s.arg(0), s.integer("dim"), s.flag("keepdim", false)); }},
      {"min", [](const Step& s) { return min(s.arg(0), s.integer("dim"), s.flag("keepdim", false)); }},
      {"logsumexp", [](const Step& s) { return logsumexp(s.arg(0), s.axes("axes"), s.flag("keepdim", false)); }},
      {"var",
       [](const Step& s) { return var(s.arg(0), s.axes("axes"), s.integer("correction"), s.flag("keepdim", false)); }},
      {"softmax", [](const Step& s) { return softmax(s.arg(0), s.integer("dim")); }},
      {"log_softmax", [](const Step& s) { return log_softmax(s.arg(0), s.integer("dim")); }},
      // indexing and joining (split appends all its pieces: "sizes" or "chunk")
      {"gather", [](const Step& s) { return gather(s.arg(0), s.integer("dim"), s.arg(1)); }},
      {"index_select", [](const Step& s) { return index_select(s.arg(0), s.integer("dim"), s.arg(1)); }},
      {"embedding", [](const Step& s) { return embedding(s.arg(0), s.arg(1)); }},
      {"concat", [](const Step& s) { return concat(s.all_args(), s.integer("dim")); }},
      {"stack", [](const Step& s) { return stack(s.all_args(), s.integer("dim")); }},
      {"split",
       [](const Step& s) {
         return s.has("chunk") ? split(s.arg(0), s.integer("chunk"), s.integer("dim"))
                               : split(s.arg(0), s.integers("sizes"), s.integer("dim"));
       }},
      // matrix products
      {"matmul", [](const Step& s) { return matmul(s.arg(0), s.arg(1)); }},
      {"bmm", [](const Step& s) { return bmm(s.arg(0), s.arg(1)); }},
      // nn layers and losses (tests/parity/nn_parity.py)
      {"linear", [](const Step& s) { return linear(s.arg(0), s.arg(1), s.arg(2)); }},
      {"layer_norm", [](const Step& s) { return layer_norm(s.arg(0), s.arg(1), s.arg(2), s.number("eps")); }},
      {"embedding_padded", [](const Step& s) { return embedding(s.arg(0), s.arg(1), s.integer("padding_idx")); }},
      {"cross_entropy",
       [](const Step& s) {
         return cross_entropy(
             s.arg(0), s.arg(1),
             {s.integer("ignore_index"), s.number("label_smoothing"), reduction(s.integer("reduction"))});
       }},
      {"linear_cross_entropy",
       [](const Step& s) {
         return linear_cross_entropy(
             s.arg(0), s.arg(1), s.arg(2), s.arg(3),
             {s.integer("ignore_index"), s.number("label_smoothing"), reduction(s.integer("reduction"))},
             s.integer("chunk_rows"));
       }},
      {"mse_loss", [](const Step& s) { return mse_loss(s.arg(0), s.arg(1), reduction(s.integer("reduction"))); }},
  };
  return ops;
}

// ---- running a case ----------------------------------------------------------------------

// Where an error happened, for the message on stderr: "case 3, step 2 ('matmul')".
struct Location {
  std::string case_label;  // empty for a single-case request
  std::string part = "request";
  std::string describe() const { return case_label + part; }
};

Values run_step(const json& step, const std::vector<Tensor>& values) {
  const std::string name = field(step, "op").get<std::string>();
  const auto it = registry().find(name);
  if (it == registry().end()) throw RequestError("unknown op '" + name + "'");
  std::vector<Tensor> args;
  for (const json& index : step.value("args", json::array())) {
    const auto i = index.get<int64_t>();
    if (i < 0 || i >= static_cast<int64_t>(values.size())) {
      throw RequestError("argument index " + std::to_string(i) + " out of range: " + std::to_string(values.size()) +
                         " values so far");
    }
    args.push_back(values[static_cast<size_t>(i)]);
  }
  static const json no_attrs = json::object();
  const Step s(std::move(args), step.contains("attrs") ? step.at("attrs") : no_attrs);
  Values out = it->second(s);
  s.check_all_used();
  return out;
}

json run_case(const json& request, Location& loc) {
  std::vector<Tensor> inputs;
  for (const json& in : field(request, "inputs")) {
    loc.part = "input " + std::to_string(inputs.size());
    Tensor t = tensor_from_json(in);
    if (in.value("requires_grad", false)) t.requires_grad_();
    inputs.push_back(t);
  }
  std::vector<Tensor> values = inputs;
  const json& program = field(request, "program");
  for (size_t i = 0; i < program.size(); ++i) {
    loc.part = "step " + std::to_string(i) + " ('" + program[i].value("op", std::string("?")) + "')";
    for (Tensor& t : run_step(program[i], values).list) values.push_back(std::move(t));
  }
  if (values.empty()) throw RequestError("no inputs and no program: nothing to output");
  const Tensor output = values.back();
  loc.part = "backward";
  if (output.requires_grad()) {
    if (request.contains("grad_output")) {
      output.backward(tensor_from_json(request.at("grad_output")));
    } else {
      output.backward();
    }
  }
  json grads = json::array();
  for (const Tensor& in : inputs)
    grads.push_back(in.requires_grad() && in.grad().defined() ? tensor_to_json(in.grad()) : json());
  return {{"output", tensor_to_json(output)}, {"grads", grads}};
}

// Runs one case or a batch; `loc` names the case and step being run if something throws.
json run_request(const json& request, Location& loc) {
  if (!request.contains("cases")) return run_case(request, loc);
  json results = json::array();
  for (const json& c : request.at("cases")) {
    loc.case_label = "case " + std::to_string(results.size()) + ", ";
    results.push_back(run_case(c, loc));
  }
  return {{"results", results}};
}

}  // namespace

int main() {
  Location loc;
  return serve_one_request(
      "parity_driver", [&](const json& request) { return run_request(request, loc); }, [&] { return loc.describe(); });
}
