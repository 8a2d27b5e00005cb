// config_file.h — `--config FILE` for a subcommand: the file's `name = value` lines fill the
// options the command line did not give. (CLI11's own set_config only works on the top-level
// app, and `qkv train --config` is an option of the subcommand: CLIUtils/CLI11#1056.)
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace qkv::cli {

// Reads `path` (TOML or INI) into the options of `app` that were not given on the command line,
// so the command line wins. Keys are the long flag names without the dashes (`lr = 0.003`,
// `pre-norm = true`), at the top of the file or under a section named after the command
// (`[train]`). An unknown key, another section, an unreadable file or a value the option rejects
// is an error naming the file and the key.
void apply_config_file(CLI::App& app, const std::string& path);

}  // namespace qkv::cli
