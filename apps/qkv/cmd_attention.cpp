// cmd_attention.cpp — `qkv attention`: run a model on one sentence pair and write heatmaps of
// its encoder self-attention, decoder self-attention and cross-attention, one panel per layer
// and head, with the tokens on the axes. Without --target the model's own translation is used.
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "apps/qkv/commands.h"
#include "apps/qkv/model_loader.h"
#include "autograd/grad_mode.h"
#include "data/vocab.h"
#include "tensor/factories.h"
#include "train/evaluate.h"
#include "viz/attention_maps.h"
#include "viz/heatmap.h"

namespace qkv::cli {

struct AttentionOptions {
  std::string model, source, target, out_dir = "attention";
};

Command add_attention(CLI::App& app) {
  auto o = std::make_shared<AttentionOptions>();
  app.add_option("--model,-m", o->model, "a checkpoint written by qkv train")->required();
  app.add_option("--source,-s", o->source, "the source sentence")->required();
  app.add_option("--target,-t", o->target, "the target sentence (default: the model's greedy translation)");
  app.add_option("--out-dir", o->out_dir, "where the three SVG files go")->capture_default_str();
  return [o]() {
    LoadedModel m = load_model(o->model);
    if (o->target.empty()) o->target = train::translate_lines(*m.model, *m.source, *m.target, {o->source}, {}).at(0);
    const train::SourceBatch src = train::make_source_batch({m.source->encode(o->source)});
    std::vector<int64_t> target_in = {data::Vocab::kBos};
    for (int64_t id : m.target->encode(o->target)) target_in.push_back(id);
    const auto t = static_cast<int64_t>(target_in.size());

    std::vector<std::string> source_tokens = m.source->pieces(o->source);
    source_tokens.push_back("<eos>");
    std::vector<std::string> target_tokens = {"<bos>"};
    for (auto& p : m.target->pieces(o->target)) target_tokens.push_back(p);

    NoGradGuard no_grad;
    const auto maps = m.model->attention_maps(src.source, src.source_padding, from_vector(target_in, Shape{1, t}));
    std::filesystem::create_directories(o->out_dir);
    const auto write = [&](const char* file, const char* title, const std::vector<Tensor>& layers,
                           const std::vector<std::string>& queries, const std::vector<std::string>& keys) {
      const std::string path = o->out_dir + "/" + file;
      viz::save_heatmaps(path, viz::attention_figure(title, layers, queries, keys));
      fmt::print("wrote {}\n", path);
    };
    fmt::print("source: {}\ntarget: {}\n", o->source, o->target);
    write("encoder_self_attention.svg", "encoder self-attention", maps.encoder_self, source_tokens, source_tokens);
    write("decoder_self_attention.svg", "decoder self-attention (causal)", maps.decoder_self, target_tokens, target_tokens);
    write("cross_attention.svg", "encoder-decoder attention", maps.cross, target_tokens, source_tokens);
    return 0;
  };
}

}  // namespace qkv::cli
