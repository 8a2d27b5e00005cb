// cmd_translate.cpp — `qkv translate`: lines in (stdin or --input), translations out.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "apps/qkv/commands.h"
#include "apps/qkv/precision_option.h"
#include "data/corpus.h"
#include "io/atomic_file.h"
#include "train/evaluate.h"
#include "train/trained_model.h"

namespace qkv::cli {

struct TranslateOptions {
  std::string model, input, output;
  models::DecodeOptions decode;
};

Command add_translate(CLI::App& app) {
  auto o = std::make_shared<TranslateOptions>();
  app.add_option("--model,-m", o->model, "a checkpoint written by qkv train (best.safetensors)")->required();
  app.add_option("--input,-i", o->input, "sentences, one per line (default: stdin)");
  app.add_option("--output,-o", o->output, "write translations here, atomically (default: stdout)");
  app.add_option("--beam", o->decode.beam_size, "beam size (1: greedy)")->capture_default_str();
  app.add_option("--length-penalty", o->decode.length_penalty, "beam search length penalty alpha")
      ->capture_default_str();
  app.add_option("--max-length", o->decode.max_length, "longest output (0: source length + 50)")->capture_default_str();
  add_precision_option(app);  // apps/qkv/precision_option.h
  return [o]() {
    train::LoadedModel m = train::load_model(o->model);
    std::vector<std::string> lines;
    if (o->input.empty()) {
      for (std::string line; std::getline(std::cin, line);) lines.push_back(line);
    } else {
      lines = data::read_lines(o->input, {.allow_empty = true});
    }
    const auto out = train::translate_lines(*m.model, *m.source, *m.target, lines, o->decode);
    std::string text;
    for (const auto& line : out) text += line + "\n";
    if (o->output.empty()) {
      fmt::print("{}", text);
    } else {
      write_file_atomically(o->output, text);
    }
    return 0;
  };
}

}  // namespace qkv::cli
