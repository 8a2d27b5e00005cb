// line_reader.h — LineReader: the lines of stdin or a file as they arrive, each one checked, for
// `qkv translate`. Reading is unbuffered by lines: a line is available as soon as its "\n" is,
// so a program that writes one line and waits for the answer gets it.
//
//   LineReader in(STDIN_FILENO, "stdin");
//   while (std::optional<std::string> line = in.next(/*wait=*/true)) use(*line);
//
// Lines are split at "\n"; a trailing "\r" is stripped and a last line without "\n" counts, as
// data/corpus.h reads files. Checked the same way whatever the source: a line that is not valid
// UTF-8 or holds a NUL or other control character (data/corpus.h) throws qkv::Error naming the source, the 1-based line
// number and the byte. What this does not do: decide what a blank or long line means (the caller's).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace qkv::cli {

class LineReader {
 public:
  // Reads from an open descriptor (not closed here); `name` ("stdin", "'in.txt'") is for messages.
  LineReader(int fd, std::string name);

  // The next line; nullopt at the end of the input. With wait false it returns a line only if
  // one is complete now (or the input has ended), else nullopt without blocking.
  std::optional<std::string> next(bool wait);

  int64_t lines_read() const { return lines_read_; }  // the number of the last line returned
  const std::string& name() const { return name_; }
  bool is_terminal() const;

 private:
  bool readable_now() const;
  void read_more();  // one read(2); sets ended_ at the end of the input

  int fd_;
  std::string name_;
  std::string buffer_;  // bytes read and not yet returned, from offset start_
  size_t start_ = 0;
  bool ended_ = false;
  int64_t lines_read_ = 0;
};

// Throws naming `where` (e.g. "stdin line 3") when `line` is not valid UTF-8 or holds a control character.
void check_line_bytes(const std::string& line, const std::string& where);

}  // namespace qkv::cli
