// config_fields.h — one field list per config, and the small generic code that reads it. A
// config (TransformerConfig, RnnSeq2SeqConfig, train::TrainOptions) lists each field once, as
//
//   Field{"d_model", &TransformerConfig::d_model, "--d-model", "model width", above(0)}
//         key        member                       flag         help          valid range
//
// and its to_metadata, from_metadata and the range checks of validate are loops over that list
// (write_fields, read_fields, check_ranges below); apps/qkv/field_options.h makes the flags
// from the same list. Checks that involve two fields (d_model % num_heads) stay hand-written in
// the config's validate.
//
// A field's value is text only in metadata and on the command line: numbers in full precision,
// bools as "true"/"false", a Dtype by dtype_name, an enum by its name table (tensor/enum_names.h),
// a TextValue (a struct with T::parse and text(), e.g. AttentionOptions) by its own text.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include <fmt/format.h>

#include "models/config_metadata.h"
#include "tensor/enum_names.h"

namespace qkv::models {

// The values a number may take: an interval, each end open or closed, either end unbounded.
struct Range {
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  bool low_open = false, high_open = false;

  bool contains(double v) const { return (low_open ? v > low : v >= low) && (high_open ? v < high : v <= high); }
  // The rule as the error messages say it: "> 0", ">= 1", "in [0, 1)", "in (0, 10)".
  std::string text() const {
    if (high == std::numeric_limits<double>::infinity()) return fmt::format("{} {}", low_open ? ">" : ">=", low);
    return fmt::format("in {}{}, {}{}", low_open ? '(' : '[', low, high, high_open ? ')' : ']');
  }
};
constexpr Range any_value() { return {}; }
constexpr Range above(double low) { return {.low = low, .low_open = true}; }
constexpr Range at_least(double low) { return {.low = low}; }
// interval('[', 0, 1, ')') is [0, 1): the brackets say which ends are open.
constexpr Range interval(char open, double low, double high, char close) {
  return {.low = low, .high = high, .low_open = open == '(', .high_open = close == ')'};
}

// A field type with a text form of its own: T::parse(text) and value.text(), inverse of each other.
// An empty one (its default) is not written to metadata, so configs without it keep their text
// byte for byte; read_fields must then list its key in `may_be_missing`.
template <class T>
concept TextValue = requires(const T& value, const std::string& text) {
  { value.empty() } -> std::convertible_to<bool>;
  { value.text() } -> std::convertible_to<std::string>;
  { T::parse(text) } -> std::same_as<T>;
};

template <class Config, class T>
struct Field {
  const char* key;  // the metadata key; "" for a field that is not saved
  T Config::*member;
  const char* flag = "";      // qkv train's flag in CLI11's syntax ("--pre-norm,!--post-norm"); "" for none
  const char* help = "";      // the flag's help text
  Range range = any_value();  // checked by check_ranges (numbers only)

  bool saved() const { return key[0] != '\0'; }
  // The first flag name, for messages: "--pre-norm".
  std::string_view flag_name() const { return std::string_view(flag).substr(0, std::string_view(flag).find(',')); }
};
// Spelled out for compilers without class template argument deduction for aggregates (clang
// before 17, which the fuzz build uses); g++ deduces the same without it.
template <class Config, class T, class... Rest>
Field(const char*, T Config::*, Rest...) -> Field<Config, T>;

// Calls f(field) for each field of a std::tuple of Fields, in order.
template <class Fields, class F>
constexpr void for_each_field(const Fields& fields, F&& f) {
  std::apply([&](const auto&... field) { (f(field), ...); }, fields);
}

// How doubles are written. Model configs write the shortest text that reads back exactly
// ("0.1"); TrainOptions has always written 17 significant digits ("0.10000000000000001"). Both
// read back to the same double, and each keeps its own so checkpoints stay byte-identical.
enum class DoubleText { shortest, digits17 };

template <class T>
std::string field_text(const T& value, DoubleText style) {
  if constexpr (std::is_same_v<T, std::string>) {
    return value;
  } else if constexpr (TextValue<T>) {
    return value.text();
  } else if constexpr (std::is_same_v<T, bool>) {
    return bool_text(value);
  } else if constexpr (std::is_same_v<T, Dtype>) {
    return std::string(dtype_name(value));
  } else if constexpr (std::is_enum_v<T>) {
    return std::string(enum_name(value));
  } else if constexpr (std::is_same_v<T, double>) {
    return style == DoubleText::shortest ? fmt::format("{}", value) : fmt::format("{:.17g}", value);
  } else {
    static_assert(std::is_integral_v<T>, "a config field is a string, bool, Dtype, enum, integer or double");
    return fmt::format("{}", value);
  }
}

// Each saved field of `config` as out[prefix + key] (an empty TextValue: none).
template <class Config, class Fields>
void write_fields(const Fields& fields, const Config& config, DoubleText style, std::map<std::string, std::string>& out,
                  std::string_view prefix = "") {
  for_each_field(fields, [&](const auto& f) {
    const auto& value = config.*f.member;
    if constexpr (TextValue<std::remove_cvref_t<decltype(value)>>) {
      if (value.empty()) return;
    }
    if (f.saved()) out[fmt::format("{}{}", prefix, f.key)] = field_text(value, style);
  });
}

// The inverse: each saved field from r[prefix + key], which must be there unless the key is in
// `may_be_missing` (then the field keeps its default).
template <class Config, class Fields>
void read_fields(const Fields& fields, const MetadataReader& r, Config& config, std::string_view prefix = "",
                 std::initializer_list<std::string_view> may_be_missing = {}) {
  for_each_field(fields, [&](const auto& f) {
    if (!f.saved()) return;
    const std::string key = fmt::format("{}{}", prefix, f.key);
    if (!r.has(key) && std::find(may_be_missing.begin(), may_be_missing.end(), f.key) != may_be_missing.end()) return;
    auto& value = config.*f.member;
    using T = std::remove_reference_t<decltype(value)>;
    if constexpr (std::is_same_v<T, std::string>) {
      value = r.text(key);
    } else if constexpr (TextValue<T>) {
      value = r.parsed<T>(key);
    } else if constexpr (std::is_same_v<T, bool>) {
      value = r.boolean(key);
    } else if constexpr (std::is_same_v<T, Dtype>) {
      value = r.dtype(key);
    } else if constexpr (std::is_enum_v<T>) {
      value = r.choice<T>(key);
    } else if constexpr (std::is_same_v<T, double>) {
      value = r.number(key);
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      value = r.unsigned_integer(key);
    } else {
      value = r.integer(key);
    }
  });
}

// Throws qkv::Error "<owner>: <name> must be <range>, got <value>" for the first number outside
// its range; <name> is the key, or the flag with by_flag (TrainOptions speaks to the command line).
template <class Config, class Fields>
void check_ranges(const Fields& fields, const Config& config, std::string_view owner, bool by_flag = false) {
  for_each_field(fields, [&](const auto& f) {
    const auto& value = config.*f.member;
    using T = std::remove_cvref_t<decltype(value)>;
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
      if (!f.range.contains(static_cast<double>(value))) {
        throw Error(
            fmt::format("{}: {} must be {}, got {}", owner, by_flag ? f.flag_name() : f.key, f.range.text(), value));
      }
    }
  });
}

}  // namespace qkv::models
