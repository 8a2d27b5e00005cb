// line_reader.cpp — lines of a descriptor as they arrive, checked (see line_reader.h).
#include "apps/qkv/line_reader.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "data/corpus.h"
#include "data/utf8.h"
#include "tensor/error.h"

namespace qkv::cli {

LineReader::LineReader(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

bool LineReader::is_terminal() const { return isatty(fd_) == 1; }

bool LineReader::readable_now() const {
  pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
  return poll(&p, 1, 0) > 0;  // data, or the writer's end closed (then read gives 0)
}

void LineReader::read_more() {
  if (start_ > 0) {  // drop what was returned, so the buffer holds one partial line at most
    buffer_.erase(0, start_);
    start_ = 0;
  }
  char chunk[1 << 16];
  for (;;) {
    const ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return;
    }
    if (n == 0) {
      ended_ = true;
      return;
    }
    check(errno == EINTR, "cannot read {}{}: {}", name_,
          lines_read_ == 0 ? std::string() : " after line " + std::to_string(lines_read_), std::strerror(errno));
  }
}

std::optional<std::string> LineReader::next(bool wait) {
  for (;;) {
    const size_t newline = buffer_.find('\n', start_);
    if (newline != std::string::npos || (ended_ && start_ < buffer_.size())) {
      const size_t end = newline == std::string::npos ? buffer_.size() : newline;
      std::string line = buffer_.substr(start_, end - start_);
      start_ = newline == std::string::npos ? buffer_.size() : newline + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      ++lines_read_;
      check_line_bytes(line, name_ + " line " + std::to_string(lines_read_));
      return line;
    }
    if (ended_ || (!wait && !readable_now())) return std::nullopt;
    read_more();
  }
}

void check_line_bytes(const std::string& line, const std::string& where) {
  const size_t bad = data::first_invalid_utf8(line);
  check(bad == std::string::npos, "{}: invalid UTF-8 at byte offset {} of the line: byte 0x{:02X}", where, bad,
        bad == std::string::npos ? 0 : static_cast<unsigned char>(line[bad]));
  // The control characters a corpus may not hold (data/corpus.h), refused in the same words.
  const size_t control = data::first_control_character(line);
  check(control == std::string::npos, "{}: control character U+{:04X} at byte offset {} of the line{}; remove it",
        where, control == std::string::npos ? 0 : static_cast<unsigned char>(line[control]), control,
        control != std::string::npos && line[control] == '\0' ? " (a NUL byte: is this binary or UTF-16 input?)" : "");
}

}  // namespace qkv::cli
