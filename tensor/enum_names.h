// enum_names.h — one table of names per enum: options are types inside the library and text
// only at its edges (the command line, a config file, checkpoint metadata), where enum_name
// writes them and parse_enum reads them back.
//
//   enum class RnnCell { gru, lstm };
//   constexpr EnumNames<RnnCell, 2> enum_names(RnnCell) {   // found by argument-dependent lookup
//     return {"RNN cell", {{{RnnCell::gru, "gru"}, {RnnCell::lstm, "lstm"}}}};
//   }
//
//   enum_name(RnnCell::lstm)                        // "lstm"
//   parse_enum<RnnCell>("lstm", "--rnn-cell")       // RnnCell::lstm
//   parse_enum<RnnCell>("rnn", "--rnn-cell")        // throws qkv::Error:
//                                                   // "--rnn-cell: unknown RNN cell 'rnn' (known: gru, lstm)"
//
// The table sits beside its enum, so adding a value and its name is one edit in one place.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "tensor/error.h"

namespace qkv {

template <class E, size_t N>
struct EnumNames {
  std::string_view what;                                // the kind of name, for errors: "RNN cell"
  std::array<std::pair<E, std::string_view>, N> names;  // every value once, with its text
};

// An enum with a name table.
template <class E>
concept NamedEnum = std::is_enum_v<E> && requires(E e) {
  enum_names(e);
};

// The text of `value` (the name its table gives it).
template <class E>
constexpr std::string_view enum_name(E value) {
  for (const auto& [v, name] : enum_names(E{}).names) {
    if (v == value) return name;
  }
  return "?";  // only for a value cast from an integer outside the enum
}

// Every name of E, comma-separated: "gru, lstm".
template <class E>
std::string enum_name_list() {
  std::string out;
  for (const auto& [v, name] : enum_names(E{}).names) out += fmt::format("{}{}", out.empty() ? "" : ", ", name);
  return out;
}

// The value named `text`; throws qkv::Error starting with `option` (the flag or key the text
// came from) and listing the valid names.
template <class E>
E parse_enum(std::string_view text, std::string_view option) {
  for (const auto& [v, name] : enum_names(E{}).names) {
    if (name == text) return v;
  }
  throw Error(fmt::format("{}: unknown {} '{}' (known: {})", option, enum_names(E{}).what, text, enum_name_list<E>()));
}

}  // namespace qkv
