// error.h — the one exception type qkv throws, and `check`, which throws it.
//
// Every message names the op and the shapes or values involved, e.g.
//   "matmul: inner dimensions differ: [2, 3] @ [4, 5]".
// The message is formatted only when the check fails, so checks are cheap on hot paths.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace qkv {

class Error : public std::invalid_argument {
 public:
  explicit Error(const std::string& message) : std::invalid_argument(message) {}
};

// Throws qkv::Error with the formatted message when `ok` is false.
template <class... Args>
void check(bool ok, fmt::format_string<Args...> format, Args&&... args) {
  if (!ok) [[unlikely]] {
    throw Error(fmt::format(format, std::forward<Args>(args)...));
  }
}

}  // namespace qkv
