// config_file.cpp — options from a TOML/INI file for one subcommand, through CLI11's own
// reader and its per-option conversion (flags, negated flags, lists).
#include "apps/qkv/config_file.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "apps/qkv/commands.h"

namespace qkv::cli {

void apply_config_file(CLI::App& app, const std::string& path) {
  const std::string command = app.get_name();
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_file(path);
  } catch (const CLI::Error& e) {
    throw Error(fmt::format("qkv {}: cannot read the config file '{}': {}", command, path, e.what()));
  }
  for (const CLI::ConfigItem& item : items) {
    const bool own_section = item.parents.empty() || (item.parents.size() == 1 && item.parents[0] == command);
    if (!own_section) {
      throw UsageError(
          fmt::format("qkv {}: config file '{}': section [{}] is not [{}] (keys go at the top or under [{}])", command,
                      path, fmt::join(item.parents, "."), command, command));
    }
    if (item.name == "++" || item.name == "--") continue;  // the reader's section start and end markers
    CLI::Option* opt = app.get_option_no_throw("--" + item.name);
    if (opt == nullptr || item.name == "config" || item.name == "help") {
      throw UsageError(fmt::format(
          "qkv {}: config file '{}': unknown option '{}' (keys are the long flag names of qkv {} --help, without "
          "the dashes)",
          command, path, item.name, command));
    }
    if (opt->count() > 0) continue;  // given on the command line, which wins
    try {
      if (opt->get_expected_min() == 0) {  // a flag: true/false, or a negated flag's name
        opt->add_result(opt->get_flag_value(item.name, CLI::ConfigTOML().to_flag(item)));
      } else {
        opt->add_result(item.inputs);
      }
      opt->run_callback();
    } catch (const CLI::Error& e) {
      throw UsageError(fmt::format("qkv {}: config file '{}': {}: {}", command, path, item.name, e.what()));
    }
  }
}

}  // namespace qkv::cli
