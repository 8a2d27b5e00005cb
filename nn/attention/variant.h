// variant.h — the attention extension point: every attention variant implements this.
//
// ── How to add a variant ──────────────────────────────────────────────────────────────────
//  1. Create one file, nn/attention/variants/<name>.cpp. In it, derive from ScoredAttention
//     and write `scores` (most variants: how a query matches a key), or derive from
//     AttentionVariant and write `forward` (variants that change the structure, e.g. linear
//     attention). Declare parameters in `visit`, initialise them in `reset_own_parameters`.
//  2. Register it at the bottom of that file, in a function named after it, and add that
//     function to the list in nn/attention/builtin.cpp (two lines):
//       void register_my_variant_attention() {
//         register_attention("my_variant", "one-line description",
//                            [](const AttentionConfig& c) { return std::make_unique<MyVariant>(c); },
//                            {{.key = "width", .fallback = 4, .low = 1, .whole = true, .help = "..."}});
//       }
//     The last argument declares the options it reads from AttentionConfig::options (none:
//     leave it out). make_attention refuses any other key, and a value outside its range,
//     naming the variant and listing what it takes; `qkv variants` prints the list, and
//     --self-attention-options / --cross-attention-options set them from the command line.
//     The registry calls the list before its first lookup, so the variant is there however
//     qkv is linked (a static archive keeps only the files a program references).
//  3. Add one test file, tests/attention/<name>_test.cpp, for what is special about it. The
//     conformance test (tests/attention/conformance_test.cpp) already runs every registered
//     variant through shapes, causal and padding masks, fully masked rows, batch
//     independence, packed self-attention and gradchecks, one test case per property, each
//     naming the variant that fails — your variant is checked the moment it registers.
//     If it records an op of its own (record(...), autograd/record.h), list the op's name in
//     autograd/op_name.h and give it a row in tests/autograd/gradcheck_fused_table_test.cpp.
//     If your variant overrides `forward` (to add a mask, say), override `forward_prepared`
//     the same way: the conformance test checks that the two agree.
//  4. It is now selectable by name: MultiHeadAttentionConfig::attention = "my_variant", and
//     `--attention my_variant` wherever the command line takes an attention type, and
//     scripts/bench_variants.sh (bench/variants_bench.cpp) times it beside every other.
//  A new normaliser is the same: one file in nn/attention/normalisers/ with a Normaliser and
//  a register_<name>_normaliser function at its bottom, listed in builtin.cpp (softmax.cpp is
//  the shortest); one that sorts each row for a threshold, like sparsemax.cpp, gets its op
//  wrapper from sorted_rows.h.
//
// ── A variant in your own program (qkv installed, not edited) ─────────────────────────────
//  Steps 1 and 2 in a file of your program, registering from a file-scope constant:
//       const bool registered = register_attention("my_variant", "...", factory);
//  That file is linked into your program directly, so its initialiser runs before main;
//  examples/consumer/softcap_attention.cpp does this.
// ──────────────────────────────────────────────────────────────────────────────────────────
//
// Shapes: q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv) → out (B, H, Tq, Dv), and when
// requested the weights (B, H, Tq, Tk). A query row whose keys are all masked must give a zero
// output and zero gradients, never NaN.
#pragma once

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nn/attention/mask.h"
#include "nn/layers.h"
#include "nn/module.h"

namespace qkv {

struct AttentionConfig {
  int64_t num_heads = 1;
  int64_t head_dim = 0;                   // Dh of queries and keys
  int64_t value_dim = 0;                  // Dv of values (0: same as head_dim)
  double dropout = 0.0;                   // on the attention weights, while training
  std::string normaliser = "softmax";     // how ScoredAttention turns scores into weights
  std::map<std::string, double> options;  // variant-specific knobs (e.g. "window": 8)
  Dtype dtype = Dtype::float32;

  // options[key] if present, else `fallback`.
  double option(const std::string& key, double fallback) const;
};

struct AttentionResult {
  Tensor out;      // (B, H, Tq, Dv)
  Tensor weights;  // (B, H, Tq, Tk), or undefined when not requested
};

class AttentionVariant : public Module {
 public:
  virtual AttentionResult forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                                  bool need_weights) = 0;
  // False for variants whose backward is a surrogate by design (hard attention's straight-
  // through estimator): the conformance test then checks that gradients exist and are finite
  // instead of comparing them with finite differences, and says so in its output.
  virtual bool has_exact_gradient() const { return true; }
  // True for variants whose pattern ties query i to key position i + (Tk - Tq) (local, strided):
  // they need queries that have positions among the keys, which a recurrent decoder's steps,
  // attending over the source, do not have (models/rnn_seq2seq_config.h rejects them).
  virtual bool position_tied() const { return false; }
  // True for variants that turn scores into weights with config.normaliser (every
  // ScoredAttention; hard attention's surrogate). make_attention refuses "name+normaliser" for
  // one that does not (linear attention forms no weights to normalise): it would be ignored.
  virtual bool uses_normaliser() const { return false; }

  // Many queries over the same keys, one after another (a recurrent decoder asks one query per
  // step): prepare_keys does the key-only work once, forward_prepared the rest, and
  //   forward_prepared(q, prepare_keys(k), v, mask, w)  computes  forward(q, k, v, mask, w).
  // By default nothing is prepared; ScoredAttention splits its scores the same way (below).
  virtual Tensor prepare_keys(const Tensor& k) { return k; }
  virtual AttentionResult forward_prepared(const Tensor& q, const Tensor& prepared_keys, const Tensor& v,
                                           const AttentionMask& mask, bool need_weights) {
    return forward(q, prepared_keys, v, mask, need_weights);
  }

  // Self-attention with the three projections packed into one product (MultiHeadAttention does
  // this when query, key and value are one tensor): qkv (B, T, 3·H·Dh) holds q, k and v side by
  // side in its last dimension. A variant that can read them there in place, and return one
  // gradient for all three, says so in packs_qkv; MultiHeadAttention then calls
  //   forward_packed(qkv, mask)  instead of  forward(q, k, v, mask, need_weights).out
  // and the projection's backward is one product instead of three and two sums. The default
  // variant's fused kernel does (scaled_dot.cpp); every other variant keeps the default: no.
  virtual bool packs_qkv(bool need_weights) const {
    (void)need_weights;
    return false;
  }
  virtual Tensor forward_packed(const Tensor& qkv, const AttentionMask& mask) {
    (void)mask;
    check(false, "forward_packed: this attention variant does not take packed q, k and v (qkv {})", qkv.shape());
    return {};
  }
};

// Turns scores (B, H, Tq, Tk) into weights that are zero where `allowed` (bool, broadcastable)
// is false; a row with nothing allowed must become all zeros.
using Normaliser = std::function<Tensor(const Tensor& scores, const Tensor& allowed)>;

// The common shape of attention: weights = normalise(scores(q, k), mask); out = weights·v.
// For variants that override forward: throws "<variant> attention: need q (B, H, Tq, Dh), k (B, H,
// Tk, Dh), v (B, H, Tk, Dv), got ..." unless the three shapes fit together.
void check_qkv_shapes(std::string_view variant, const Tensor& q, const Tensor& k, const Tensor& v);

class ScoredAttention : public AttentionVariant {
 public:
  explicit ScoredAttention(const AttentionConfig& config);
  bool uses_normaliser() const override { return true; }
  // (B, H, Tq, Dh) × (B, H, Tk, Dh) → (B, H, Tq, Tk): how well each query matches each key.
  virtual Tensor scores(const Tensor& q, const Tensor& k) = 0;
  // scores(q, k) == prepared_scores(q, prepare_keys(k)). A variant that transforms each key on
  // its own (additive: W_k·k, cosine: k/‖k‖) overrides prepare_keys and prepared_scores and
  // writes scores as their composition; the default prepares nothing.
  virtual Tensor prepared_scores(const Tensor& q, const Tensor& prepared_keys) { return scores(q, prepared_keys); }
  AttentionResult forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                          bool need_weights) override;
  AttentionResult forward_prepared(const Tensor& q, const Tensor& prepared_keys, const Tensor& v,
                                   const AttentionMask& mask, bool need_weights) override;
  // Subclasses with parameters or submodules call this from their visit.
  void visit(ModuleVisitor& v) override { v.module("dropout", dropout_); }

 protected:
  AttentionConfig config_;

 private:
  // weights = normalise(s, mask); out = dropout(weights)·v.
  AttentionResult attend(const Tensor& s, const Tensor& v, const AttentionMask& mask, bool need_weights);

  Normaliser normalise_;
  Dropout dropout_;
};

// ---- the registries -----------------------------------------------------------------------

using AttentionFactory = std::function<std::unique_ptr<AttentionVariant>(const AttentionConfig&)>;

// One option a variant reads from AttentionConfig::options: its key, its default, the values it
// may take (an interval, low end open or closed; `whole` for counts), and what it does.
struct VariantOption {
  std::string key;
  double fallback = 0;             // the value the variant uses when the option is not given
  std::string fallback_text = "";  // when the default depends on the shape ("Dh", "stride - 1"); else ""
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  bool low_open = false;  // low itself is not allowed (a positive width: low 0, low_open)
  bool whole = false;     // a whole number (a window, a kernel size)
  std::string help = "";

  // The values allowed, as messages say it: "positive", ">= 0 and whole", "in [0, 1]".
  std::string rule() const;
  // "" when `value` is allowed, else rule().
  std::string violation(double value) const;
  // The rule and the default: "positive and whole, default 3".
  std::string summary() const;
};

// Registers a variant under `name` (an error if the name is taken, built-ins included) with the
// options it takes; returns true so a program's own file can register from a file-scope constant.
bool register_attention(const std::string& name, const std::string& description, AttentionFactory factory,
                        std::vector<VariantOption> options = {});
// Registers a normaliser for ScoredAttention under `name`.
bool register_normaliser(const std::string& name, const std::string& description, Normaliser normaliser);

// Builds the variant `name`; the name may carry a normaliser: "cosine+sigmoid". Throws unless
// every key of config.options is one the variant declared, with a value in its range.
std::unique_ptr<AttentionVariant> make_attention(const std::string& name, AttentionConfig config);
// That check alone, for configs that validate before they build: throws qkv::Error
//   "attention 'local': unknown option 'windw'; local takes window (>= 0 and whole, default 2)"
//   "attention 'conv': option 'kernel' must be positive and whole, got 0"
void check_attention_options(const std::string& name, const std::map<std::string, double>& options);
Normaliser find_normaliser(const std::string& name);

struct RegistryEntry {
  std::string name;
  std::string description;
  std::vector<VariantOption> options = {};  // a variant's, in the order it declared them; none for a normaliser
};
std::vector<RegistryEntry> attention_variants();  // sorted by name
std::vector<RegistryEntry> normalisers();         // sorted by name

}  // namespace qkv
