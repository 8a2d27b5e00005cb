// help_formatter.h — qkv's --help layout: CLI11's, except that a flag pair is shown without
// CLI11's "{false}" after the negated name, which reads as if the default were false
// ("--pre-norm,--post-norm{false}"). add_field_options says which of the pair is the default
// instead: "--pre-norm,--post-norm (default: --post-norm)".
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace qkv::cli {

class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* opt, bool is_positional) const override {
    std::string name = CLI::Formatter::make_option_name(opt, is_positional);
    for (size_t open = name.find('{'); open != std::string::npos; open = name.find('{', open)) {
      const size_t close = name.find('}', open);
      if (close == std::string::npos) break;
      name.erase(open, close - open + 1);
    }
    return name;
  }
};

}  // namespace qkv::cli
