// options_toml.cpp — TrainOptions as `flag-name = value` lines, from the options' field lists.
#include "train/options_toml.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "io/atomic_file.h"
#include "qkv_version.h"

namespace qkv::train {
namespace {

// `text` quoted so that apply_config_file reads back exactly `text`. CLI11's reader (2.1) takes
// what is between the quotes as it is, without TOML's escapes, so "a\\b" would read back with
// two backslashes: a basic string "text" when it needs no escape (as before, and as TOML
// reads it too), else a literal string 'text' when there is no ' in it; nullopt when neither
// works (see toml_writable).
std::optional<std::string> quoted(const std::string& text) {
  if (!toml_writable(text)) return std::nullopt;
  if (text.find_first_of("\"\\") == std::string::npos) return "\"" + text + "\"";
  return "'" + text + "'";
}

// `skip`: flags left out because this run does not use them (qkv train refuses them then).
template <class Config, class Fields>
void append_fields(const Fields& fields, const Config& config, std::string& out,
                   const std::vector<std::string_view>& skip = {}) {
  models::for_each_field(fields, [&](const auto& f) {
    if (!f.saved() || f.flag[0] == '\0' || std::find(skip.begin(), skip.end(), f.flag_name()) != skip.end()) return;
    const auto& value = config.*f.member;
    using T = std::remove_cvref_t<decltype(value)>;
    std::string text;
    if constexpr (std::is_same_v<T, std::string> || models::TextValue<T>) {
      if (value.empty()) return;
      std::string plain;
      if constexpr (std::is_same_v<T, std::string>) {
        plain = value;
      } else {
        plain = value.text();
      }
      const std::optional<std::string> q = quoted(plain);
      if (!q) {
        out += fmt::format("# {} is not written: its value holds a newline, a '#', or both quote kinds with a '\\'\n",
                           f.flag_name().substr(2));
        return;
      }
      text = *q;
    } else if constexpr (std::is_enum_v<T> && !std::is_same_v<T, Dtype>) {
      text = *quoted(std::string(models::field_text(value, models::DoubleText::shortest)));
    } else {
      text = models::field_text(value, models::DoubleText::shortest);
    }
    out += fmt::format("{} = {}\n", f.flag_name().substr(2), text);
  });
}

}  // namespace

bool toml_writable(std::string_view text) {
  if (text.find_first_of("\n\r#") != std::string_view::npos) return false;
  return text.find('\'') == std::string_view::npos || text.find_first_of("\"\\") == std::string_view::npos;
}

// The first line, around the version: how written_by_options_as_toml knows the file.
constexpr std::string_view kHeaderStart = "# qkv train ";
constexpr std::string_view kHeaderEnd = ": the effective options of this run. Reuse them with";

std::string options_as_toml(const TrainOptions& o) {
  std::string out = fmt::format(
      "{}{}{}\n#   qkv train --config config.toml --out-dir NEW_DIR   (the command line wins over this file)\n",
      kHeaderStart, QKV_VERSION, kHeaderEnd);
  std::vector<std::string_view> unused;
  if (o.tokenizer != data::TokenizerKind::bpe) unused.push_back("--bpe-merges");
  if (o.tokenizer != data::TokenizerKind::rawbpe && o.tokenizer != data::TokenizerKind::sentencepiece)
    unused.push_back("--vocab-size");
  if (o.tokenizer != data::TokenizerKind::sentencepiece || !o.spm_model.empty()) unused.push_back("--spm-type");
  append_fields(train_recipe_fields, o, out, unused);
  if (o.arch == Arch::rnn) {
    append_fields(models::rnn_seq2seq_config_fields, o.rnn, out);
  } else {
    append_fields(models::transformer_config_fields, o.model, out);
  }
  append_fields(run_control_fields, o, out);
  return out;
}

void write_options_toml(const TrainOptions& o, const std::string& path) {
  write_file_atomically(path, options_as_toml(o));
}

bool written_by_options_as_toml(const std::string& path) {
  std::ifstream in(path);
  std::string first;
  if (!std::getline(in, first)) return false;
  return first.starts_with(kHeaderStart) && first.ends_with(kHeaderEnd);
}

void restore_absent_options(TrainOptions& o, const std::function<bool(std::string_view flag)>& present) {
  if (!present("--joint-vocab")) o.joint_vocab = false;
  if (!present("--share-embeddings")) o.model.share_embeddings = false;
  if (!present("--keep-checkpoints")) o.keep_checkpoints = 0;
  if (!present("--finalize")) o.finalize_beam = 0;
}

}  // namespace qkv::train
