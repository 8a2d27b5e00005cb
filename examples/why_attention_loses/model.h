// model.h — a small post-norm Transformer written by hand from qkv's public pieces (Linear,
// LayerNorm, Embedding, FeedForward, Dropout, tensor ops), with the attention core, the masks,
// the projections' initialisation and the residual around attention taken from a Recipe.
//
//   src (B, S) → embed·√D + sinusoid → N × [x = LN(x + attn(x)); x = LN(x + ffn(x))] → memory
//   tgt (B, T) → embed·√D + sinusoid → N × [self-attn (causal); cross-attn over memory; ffn],
//                each x = LN(x + sublayer(x)) → Linear → logits (B, T, V)
//
// It implements models::Seq2Seq, so qkv's own greedy decoding drives it; a decoding step
// re-runs the decoder over the whole prefix (no key/value cache: slower, but nothing that
// could hide a mask mistake).
#pragma once

#include "recipe.h"

namespace why {

struct ModelShape {
  int64_t source_vocab = 0, target_vocab = 0;
  int64_t d_model = 128, heads = 4, d_ff = 256, encoder_layers = 2, decoder_layers = 2;
  double dropout = 0.1;            // on embeddings and every sublayer's output
  double attention_dropout = 0.1;  // on the attention weights
  int64_t max_positions = 256;
};

// Multi-head attention by hand: project, split into heads, the recipe's core, merge, project.
class HandAttention : public qkv::Module {
 public:
  HandAttention(const Recipe& recipe, const ModelShape& shape);
  // query (B, Tq, D), memory (B, Tk, D), allowed as in AttentionCall → (B, Tq, D)
  Tensor forward(const Tensor& query, const Tensor& memory, const Tensor& allowed);
  void visit(qkv::ModuleVisitor& v) override;
  qkv::Linear& q_proj() { return q_proj_; }
  qkv::Linear& k_proj() { return k_proj_; }
  int64_t heads() const { return heads_; }

 protected:
  void reset_own_parameters(qkv::Generator& gen) override;

 private:
  const Recipe& recipe_;
  int64_t heads_;
  double attention_dropout_;
  qkv::Linear q_proj_, k_proj_, v_proj_, out_proj_;
  qkv::Generator rng_;
};

class EncoderLayer : public qkv::Module {
 public:
  EncoderLayer(const Recipe& recipe, const ModelShape& shape);
  Tensor forward(const Tensor& x, const Tensor& allowed);  // (B, S, D) → (B, S, D)
  void visit(qkv::ModuleVisitor& v) override;
  HandAttention& self_attn() { return self_attn_; }

 private:
  const Recipe& recipe_;
  HandAttention self_attn_;
  qkv::FeedForward ffn_;
  qkv::LayerNorm norm1_, norm2_;
  qkv::Dropout drop1_, drop2_;
};

class DecoderLayer : public qkv::Module {
 public:
  DecoderLayer(const Recipe& recipe, const ModelShape& shape);
  // x (B, T, D), memory (B, S, D) → (B, T, D)
  Tensor forward(const Tensor& x, const Tensor& memory, const Tensor& self_allowed, const Tensor& cross_allowed);
  void visit(qkv::ModuleVisitor& v) override;

 private:
  const Recipe& recipe_;
  HandAttention self_attn_, cross_attn_;
  qkv::FeedForward ffn_;
  qkv::LayerNorm norm1_, norm2_, norm3_;
  qkv::Dropout drop1_, drop2_, drop3_;
};

class HandTransformer : public qkv::models::Seq2Seq {
 public:
  HandTransformer(const Recipe& recipe, const ModelShape& shape);

  // src (B, S) int64, src_padding (B, S) bool → memory (B, S, D)
  Tensor encode(const Tensor& src, const Tensor& src_padding);
  // tgt_in (B, T) int64 → decoder states (B, T, D)
  Tensor decode(const Tensor& tgt_in, const Tensor& memory, const Tensor& src_padding);

  Tensor forward(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in) override;
  std::unique_ptr<qkv::models::DecodingState> begin_decoding(const Tensor& src, const Tensor& src_padding) override;
  Tensor decode_step(const Tensor& tokens, qkv::models::DecodingState& state) override;
  int64_t target_vocab() const override { return shape_.target_vocab; }
  int64_t max_target_length() const override { return shape_.max_positions; }
  int64_t max_source_length() const override { return shape_.max_positions; }
  std::vector<qkv::models::AttentionFigure> attention_figures(const Tensor&, const Tensor&, const Tensor&) override {
    return {};
  }
  void visit(qkv::ModuleVisitor& v) override;

  EncoderLayer& first_encoder_layer() { return *encoder_.front(); }
  // The input of the first encoder layer, (B, S, D): for the checks (checks.h).
  Tensor embed_source(const Tensor& src);

 protected:
  void reset_own_parameters(qkv::Generator& gen) override;

 private:
  Tensor embed(qkv::Embedding& table, const Tensor& ids);  // (B, T) → (B, T, D)

  const Recipe& recipe_;
  ModelShape shape_;
  qkv::Embedding src_embed_, tgt_embed_;
  std::vector<std::unique_ptr<EncoderLayer>> encoder_;
  std::vector<std::unique_ptr<DecoderLayer>> decoder_;
  qkv::Dropout embed_drop_;
  qkv::Linear output_;
  Tensor positions_;  // (max_positions, D), fixed
};

}  // namespace why
