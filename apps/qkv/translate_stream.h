// translate_stream.h — the loop of `qkv translate`: read lines as they arrive, translate them a
// batch at a time, write and flush each batch's translations before reading on.
//
// A batch is the next line (waited for) and the lines already available behind it, up to
// batch_size; one line when the input is a terminal. So a pipe that writes one line and waits
// gets its answer, and a file is decoded in full batches. Output is in input order, in one of
// three formats (StreamFormat). Per line:
//   - blank (only whitespace): an empty translation, without running the model;
//   - longer than the model takes: with truncate, its first tokens are translated and a warning
//     goes to stderr; else an error on stderr naming the line and its length, an empty output
//     line (no n-best rows) in its place, and the run goes on, to exit 1 at the end;
//   - not UTF-8 or holding a NUL or other control character: the lines before it are translated and written, then
//     qkv::Error names the line (LineReader).
// A translation that runs into the model's target positions (Translation::unfinished) is written
// as cut there, with a warning.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "apps/qkv/line_reader.h"
#include "train/trained_model.h"

namespace qkv::cli {

// What each input line becomes on the output ("\t" is a tab, scores as "%.4f").
enum class StreamFormat {
  text,    // the best translation
  scores,  // the best translation, "\t", its score
  n_best,  // n_best rows: line number (1-based), "\t", score, "\t", translation; best first
};

struct StreamOptions {
  train::TranslateOptions translate;  // decoding, n_best, truncate
  StreamFormat format = StreamFormat::text;
  int64_t batch_size = 32;  // lines per batch when the input is not a terminal
};

// Translates everything `in` gives, handing each batch's output to `write` (which writes and
// flushes it). Returns 0, or 1 when a line was too long to translate; throws on a bad line.
int translate_stream(const train::LoadedModel& model, LineReader& in, const StreamOptions& options,
                     const std::function<void(std::string_view)>& write);

}  // namespace qkv::cli
