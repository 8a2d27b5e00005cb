// field_options.h — command-line flags made from a config's field list (models/config_fields.h):
// each field with a flag becomes a CLI11 option bound to that field of `config`, with the
// field's help text and the field's current value as the default shown in --help.
//
//   auto o = std::make_shared<train::TrainOptions>();
//   add_field_options(app, train::train_recipe_fields, *o);  // --train-source ... --seed
//
// A bool field is a flag ("--pre-norm,!--post-norm" gives its negation too; --help then says
// which of the two is the default). An enum field takes
// one of its names (tensor/enum_names.h); any other name is a CLI11 validation error naming the
// flag and listing the names. A TextValue field (models/config_fields.h) takes its text form,
// whose parse error is a validation error naming the flag. `config` must outlive the parse.
#pragma once

#include <charconv>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <CLI/CLI.hpp>

#include "models/config_fields.h"
#include "tensor/enum_names.h"
#include "tensor/error.h"

namespace qkv::cli {

// For an unsigned field: the text must be a whole number that fits T. CLI11's own conversion
// wraps "-1" to 2^64 - 1 and maps 2^64 to a value that fits, so --seed -1 and --seed 2^64 would
// both run with a seed nobody asked for.
template <class T>
CLI::Validator unsigned_text() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        T parsed{};
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
        if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
          return fmt::format("a whole number from 0 to {} is required, got '{}'", std::numeric_limits<T>::max(), text);
        }
        return "";
      },
      "UINT");
}

// Adds the flags of `fields` to `app`, in the list's order, and returns them.
template <class Config, class Fields>
std::vector<CLI::Option*> add_field_options(CLI::App& app, const Fields& fields, Config& config) {
  std::vector<CLI::Option*> added;
  models::for_each_field(fields, [&](const auto& f) {
    if (f.flag[0] == '\0') return;
    auto& value = config.*f.member;
    using T = std::remove_reference_t<decltype(value)>;
    CLI::Option* opt = nullptr;
    if constexpr (std::is_same_v<T, bool>) {
      opt = app.add_flag(f.flag, value, f.help);
      const std::string names(f.flag);
      if (const size_t negated = names.find(",!"); negated != std::string::npos) {  // a flag pair
        opt->option_text(fmt::format("(default: {})", value ? names.substr(0, negated) : names.substr(negated + 2)));
      }
    } else if constexpr (std::is_same_v<T, Dtype>) {
      throw Error(fmt::format("add_field_options: {}: a dtype field cannot have a flag", f.key));
    } else if constexpr (models::TextValue<T>) {
      const std::string flag(f.flag_name());
      // Several results (a config file's reader may split "k=1,2" at its commas) are one text.
      opt = app.add_option_function<std::vector<std::string>>(
          f.flag,
          [&value, flag](const std::vector<std::string>& parts) {
            std::string text;
            for (const std::string& part : parts) text += (text.empty() ? "" : ",") + part;
            try {
              value = T::parse(text);
            } catch (const Error& e) {
              throw CLI::ValidationError(fmt::format("{}: {}", flag, e.what()));
            }
          },
          f.help);
      opt->expected(1)->allow_extra_args(false);
      opt->default_str(value.text());
    } else if constexpr (NamedEnum<T>) {
      const std::string flag(f.flag_name());
      opt = app.add_option_function<std::string>(
          f.flag,
          [&value, flag](const std::string& text) {
            try {
              value = parse_enum<T>(text, flag);
            } catch (const Error& e) {
              throw CLI::ValidationError(e.what());
            }
          },
          f.help);
      opt->default_str(std::string(enum_name(value)));
    } else {
      opt = app.add_option(f.flag, value, f.help);
      if constexpr (std::is_unsigned_v<T>) opt->check(unsigned_text<T>());
    }
    added.push_back(opt->capture_default_str());
  });
  return added;
}

}  // namespace qkv::cli
