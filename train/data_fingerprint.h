// data_fingerprint.h — which data a run trains on, recorded in its checkpoints so that
// `--resume` can tell when a file changed under it.
//
// A run's data are its training files (--train-source and --train-target, or --train-tsv) and
// its validation files (--valid-source and --valid-target, or --valid-tsv). Each is
// fingerprinted by its bytes: "1801452 bytes, fnv1a64 8c3f0e0d5a2b9c71". Checkpoints store the
// fingerprints as metadata data.<option key> ("data.train_source", train/checkpoint.h).
//
// Why resume cares: the batch plan of an epoch is a function of the data (data/batching.h), so a
// run resumed on edited files continues at its saved position in a different plan, and on
// misaligned pairs if one side gained or lost a line. resume refuses that, naming the file,
// unless --allow-data-change says the change is intended. A checkpoint written before
// fingerprints existed is resumed with a note (there is nothing to compare; refusing would make
// every old run need a flag that protects nothing), and its next save records them.
//
// FNV-1a detects edits, not an adversary: it is not a cryptographic hash.
#pragma once

#include <map>
#include <string>

#include "train/train_options.h"

namespace qkv::train {

using DataFingerprints = std::map<std::string, std::string>;  // option key → fingerprint

// "<n> bytes, fnv1a64 <16 hex digits>" of a file's bytes; throws qkv::Error if it is unreadable.
std::string fingerprint_file(const std::string& path);

// The fingerprints of the data files `options` names, by option key.
DataFingerprints fingerprint_data(const TrainOptions& options);

// Compares the fingerprints a checkpoint recorded with the files `options` name now. A changed,
// added or missing file throws qkv::Error naming its flag, path and both fingerprints, unless
// allow_change. Returns a line for train.log when there is something to say (a checkpoint
// without fingerprints, or a change that allow_change accepted), "" otherwise.
std::string check_resumed_data(const std::string& checkpoint, const TrainOptions& options,
                               const DataFingerprints& saved, const DataFingerprints& now, bool allow_change);

}  // namespace qkv::train
