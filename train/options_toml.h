// options_toml.h — a run's effective options as the TOML file `qkv train --config` reads back.
//
//   # qkv train 0.9.0: the effective options of this run; qkv train --config config.toml ...
//   train-source = "data/multi30k/train.en"
//   lr = 0.001
//   pre-norm = false
//   ...
//
// Keys are the long flag names without the dashes (apps/qkv/config_file.h), one per option
// that has a flag and is saved in checkpoints: the data, the recipe, the model options of the
// run's architecture only, and run control. Empty strings (an unused --train-tsv) are left out:
// the option's default is empty too. Flags that are not part of a run (--progress, --quiet,
// --overwrite, --threads) are not written.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "train/train_options.h"

namespace qkv::train {

std::string options_as_toml(const TrainOptions& o);

// Whether a string option can be written so that `qkv train --config` reads it back exactly:
// no newline and no '#' (the reader ends a value there), and not both a ' and a " or '\\'.
// options_as_toml writes a comment instead of an option it cannot write.
bool toml_writable(std::string_view text);

// Writes options_as_toml(o) to `path` atomically.
void write_options_toml(const TrainOptions& o, const std::string& path);

// Whether the file at `path` is one options_as_toml wrote (its first line says so).
bool written_by_options_as_toml(const std::string& path);

// A config.toml that qkv train wrote leaves an option out only when the option did not exist
// yet, or (before qkv train's recipe changed, train/recipe.h) --joint-vocab when it was off.
// Read with today's recipe such a file would describe another run, so for a file that
// written_by_options_as_toml, each of these not `present` (in the file or on the command line)
// gets the value those runs had: --joint-vocab and --share-embeddings off, --keep-checkpoints
// 0, --finalize 0.
void restore_absent_options(TrainOptions& o, const std::function<bool(std::string_view flag)>& present);

}  // namespace qkv::train
