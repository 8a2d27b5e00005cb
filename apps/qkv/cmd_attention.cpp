// cmd_attention.cpp — `qkv attention`: run a model on one sentence pair and write heatmaps of
// its attention, one SVG per figure the model offers (models/seq2seq.h) — a Transformer's
// encoder self-attention, decoder self-attention and cross-attention, an RNN's alignment of
// target steps to source tokens — one panel per layer and head, with the tokens on the axes.
// Without --target the model's own translation is used.
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "apps/qkv/commands.h"
#include "autograd/grad_mode.h"
#include "data/vocab.h"
#include "tensor/factories.h"
#include "train/evaluate.h"
#include "train/trained_model.h"
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
  app.add_option("--out-dir", o->out_dir, "where the SVG files go")->capture_default_str();
  return [o]() {
    train::LoadedModel m = train::load_model(o->model);
    if (o->target.empty()) o->target = train::translate_lines(*m.model, *m.source, *m.target, {o->source}, {}).at(0);
    const train::SourceBatch src = train::make_source_batch({m.source->encode(o->source)});
    std::vector<int64_t> target_in_ids = {data::Vocab::kBos};
    for (int64_t id : m.target->encode(o->target)) target_in_ids.push_back(id);
    const auto t = static_cast<int64_t>(target_in_ids.size());

    using Tokens = models::AttentionFigure::Tokens;
    std::vector<std::string> source_tokens = m.source->pieces(o->source);
    source_tokens.push_back("<eos>");
    std::vector<std::string> target_pieces = m.target->pieces(o->target);
    std::vector<std::string> target_in = {"<bos>"}, target_out = target_pieces;
    target_in.insert(target_in.end(), target_pieces.begin(), target_pieces.end());
    target_out.push_back("<eos>");
    const auto labels = [&](Tokens which) -> const std::vector<std::string>& {
      return which == Tokens::source ? source_tokens : which == Tokens::target_in ? target_in : target_out;
    };

    NoGradGuard no_grad;
    const auto figures =
        m.model->attention_figures(src.source, src.source_padding, from_vector(target_in_ids, Shape{1, t}));
    std::filesystem::create_directories(o->out_dir);
    fmt::print("source: {}\ntarget: {}\n", o->source, o->target);
    for (const models::AttentionFigure& f : figures) {
      const std::string path = o->out_dir + "/" + f.name + ".svg";
      viz::save_heatmaps(path, viz::attention_figure(f.title, f.layers, labels(f.queries), labels(f.keys),
                                                     {.panel_title = f.panel_title}));
      fmt::print("wrote {}\n", path);
    }
    return 0;
  };
}

}  // namespace qkv::cli
