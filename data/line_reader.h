// line_reader.h — LineReader: the lines of a text file one at a time, each checked as corpus.h
// describes, through a buffer of fixed size: a file of any size is read in constant memory.
//
//   LineReader in("read_lines", "data/multi30k/train.en");
//   std::string_view line;
//   while (in.next(line)) use(line, in.line_number());   // 1-based numbers, for messages
//
// The rules and their messages are corpus.h's: a trailing "\r" is stripped, a final line
// without "\n" counts, and invalid UTF-8, a control character, an empty line (unless
// limits.allow_empty), a line over limits.max_line_bytes, an empty file (unless allow_empty), a
// missing file or a directory throw qkv::Error naming `op`, the file and the line. corpus.h's
// readers are built on it; qkv train reads its training files through it more than once (count,
// then encode: data/pair_source.h) instead of holding their text.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "data/corpus.h"

namespace qkv::data {

class LineReader {
 public:
  // `where` names the file in messages; "'path'" if empty.
  LineReader(std::string op, const std::string& path, CorpusLimits limits = {}, std::string where = "");

  // The next line, checked; false at the end of the file. `line` stays valid until the next call.
  bool next(std::string_view& line);
  int64_t line_number() const { return number_; }  // of the line `next` returned last
  const std::string& where() const { return where_; }

 private:
  bool read_more();  // appends the file's next bytes to buffer_; false at its end

  std::string op_, path_, where_;
  CorpusLimits limits_;
  std::ifstream in_;
  std::string buffer_;  // bytes read but not yet returned start at begin_
  size_t begin_ = 0;
  uint64_t buffer_offset_ = 0;  // the file offset of buffer_[0]
  int64_t number_ = 0;
  bool at_end_ = false;
};

}  // namespace qkv::data
