// corpus.h — reading sentence files: a parallel corpus from two aligned files or one TSV
// file, and plain line files (the inputs of translate and eval).
//
//   ParallelCorpus train = read_parallel("data/multi30k/train.en", "data/multi30k/train.de");
//   train.size();        // 29000
//   train.source[0];     // "two young , white males are outside near many bushes ."
//
// Each line is one sentence. A trailing "\r" is stripped (files written on Windows read the
// same), a final line without "\n" counts, and nothing else is changed: no tokenising, no
// lowercasing, no trimming of spaces. Every problem throws qkv::Error naming the file and the
// 1-based line: a missing or unreadable file, files with different line counts, an empty line
// (a line of only whitespace counts as empty; allowed with allow_empty), a line longer than
// max_line_bytes (no limit unless set), invalid UTF-8 (with the byte offset), a control
// character, a TSV line without exactly one tab. An empty file (no lines at all) is an error
// too unless allow_empty is set.
//
// Control characters: U+0000..U+0008, U+000E..U+001F and U+007F are refused. They are not text
// (a NUL means a binary or UTF-16 file), the whitespace tokenizer would keep them inside words
// (a NUL became a vocabulary word), and U+001C..U+001F split words for the metrics (as Python's
// str.split does) but not for the tokenizers, so such a line would not mean the same thing to
// both. Tab, CR, LF, VT and FF are whitespace and stay allowed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qkv::data {

struct CorpusLimits {
  // After stripping "\r"; 0 or less means no limit. qkv's commands set none: a long training
  // pair is dropped by --max-length (tokens), like any other long pair.
  int64_t max_line_bytes = 0;
  bool allow_empty = false;  // accept empty (or all-whitespace) lines and empty files
};

struct ParallelCorpus {
  std::vector<std::string> source, target;  // one sentence per entry, aligned
  std::string source_name, target_name;     // file names, for messages
  size_t size() const { return source.size(); }
};

// Line i of source_path is the translation of line i of target_path.
ParallelCorpus read_parallel(const std::string& source_path, const std::string& target_path,
                             const CorpusLimits& limits = {});
// One pair per line: source<TAB>target. source_name and target_name are "PATH (column 1)" and
// "PATH (column 2)".
ParallelCorpus read_parallel_tsv(const std::string& path, const CorpusLimits& limits = {});
// The lines of one file.
std::vector<std::string> read_lines(const std::string& path, const CorpusLimits& limits = {});

// The byte offset of the first control character the readers refuse (see above) in `line`, or
// std::string_view::npos if there is none.
size_t first_control_character(std::string_view line);

// `text` with every byte no corpus line can hold ("\n", and the control characters above) replaced
// by U+FFFD. For decoded output: a subword model with byte fallback can spell any byte, so a
// model can emit one that no training line held, and a "\n" inside a translation would make one
// input line two output lines.
std::string replace_non_text_bytes(std::string_view text);

}  // namespace qkv::data
