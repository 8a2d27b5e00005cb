// trained_model.cpp — a checkpoint's model rebuilt from its options and filled with its weights,
// and translating with it: blank lines skipped, long lines refused or cut, n-best lists as text.
#include "train/trained_model.h"

#include <fmt/format.h>

#include <limits>
#include <string>
#include <type_traits>

#include "data/utf8.h"
#include "tensor/error.h"
#include "train/checkpoint.h"
#include "train/model_factory.h"
#include "train/translation_batches.h"

namespace qkv::train {
namespace {

// The decoding settings a checkpoint recommends (train/finalize.h writes them), checked like the
// command line's.
models::DecodeOptions decode_defaults(const Checkpoint& file) {
  models::DecodeOptions out;
  auto number = [&](const char* key, auto& field) {
    const auto it = file.metadata.find(key);
    if (it == file.metadata.end()) return;
    try {
      size_t used = 0;
      const double value = std::stod(it->second, &used);
      check(used == it->second.size(), "trailing text");
      field = static_cast<std::remove_reference_t<decltype(field)>>(value);
      check(static_cast<double>(field) == value, "not a whole number");
    } catch (const std::exception& e) {
      throw Error(fmt::format("checkpoint '{}': metadata {} = '{}' is not a valid number ({})", file.path, key,
                              it->second, e.what()));
    }
  };
  number("decode.beam", out.beam_size);
  number("decode.length_penalty", out.length_penalty);
  models::validate(out, fmt::format("checkpoint '{}': metadata decode.*", file.path));
  return out;
}

}  // namespace

LoadedModel load_model(const std::string& path) {
  const LoadedCheckpoint checkpoint = load_checkpoint(path);
  LoadedModel out;
  out.model = make_model(checkpoint.options);
  restore_model(checkpoint, *out.model);
  out.model->eval();
  out.source = checkpoint.source;
  out.target = checkpoint.target;
  out.decode_defaults = decode_defaults(checkpoint.file);
  return out;
}

bool is_blank(std::string_view line) {
  for (size_t pos = 0; pos < line.size();) {
    if (!data::is_unicode_space(data::next_code_point(line, pos))) return false;
  }
  return true;
}

int64_t LoadedModel::source_tokens(std::string_view line) const {
  return is_blank(line) ? 0 : static_cast<int64_t>(source->encode(line).size());
}

int64_t LoadedModel::max_source_tokens() const {
  const int64_t positions = model->max_source_length();
  return positions == std::numeric_limits<int64_t>::max() ? positions : positions - 1;  // one for eos
}

std::vector<Translation> LoadedModel::translate_n_best(const std::vector<std::string>& lines,
                                                       const TranslateOptions& options) const {
  models::validate(options.decode, "translate_n_best");
  check(options.n_best >= 1 && options.n_best <= options.decode.beam_size,
        "translate_n_best: n_best {} is outside 1..beam_size ({})", options.n_best, options.decode.beam_size);
  const int64_t limit = max_source_tokens();
  std::vector<Translation> out(lines.size());
  std::vector<std::vector<int64_t>> ids;  // the lines the model is given
  std::vector<size_t> given;              // their indices in `lines`
  for (size_t i = 0; i < lines.size(); ++i) {
    if (is_blank(lines[i])) {
      out[i].n_best.push_back({"", 0.0});
      continue;
    }
    std::vector<int64_t> line_ids = source->encode(lines[i]);
    out[i].source_tokens = static_cast<int64_t>(line_ids.size());
    if (out[i].source_tokens > limit) {
      check(options.truncate,
            "translate_n_best: line {} has {} source tokens, more than the model takes ({}: max_positions {} less "
            "one for eos); TranslateOptions::truncate translates its first {}",
            i + 1, out[i].source_tokens, limit, limit + 1, limit);
      line_ids.resize(static_cast<size_t>(limit));
      out[i].truncated = true;
    }
    ids.push_back(std::move(line_ids));
    given.push_back(i);
  }
  const auto lists = decode_in_batches(*model, ids, options.decode, options.n_best, options.max_batch_tokens);
  for (size_t k = 0; k < given.size(); ++k) {
    Translation& t = out[given[k]];
    for (const models::ScoredHypothesis& h : lists[k]) t.n_best.push_back({target->decode(h.ids), h.score});
    // A hypothesis that ends with eos is shorter than the limit: this one was stopped by it.
    t.unfinished = !lists[k].empty() && static_cast<int64_t>(lists[k].front().ids.size()) >= model->max_target_length();
  }
  return out;
}

std::vector<std::string> LoadedModel::translate(const std::vector<std::string>& lines,
                                                const models::DecodeOptions& options) const {
  std::vector<std::string> out;
  out.reserve(lines.size());
  for (Translation& t : translate_n_best(lines, {.decode = options})) {
    out.push_back(t.n_best.empty() ? std::string() : std::move(t.n_best.front().text));
  }
  return out;
}

}  // namespace qkv::train
