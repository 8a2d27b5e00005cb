// line_reader.cpp — reading and checking a file's lines through a fixed buffer (see line_reader.h).
#include "data/line_reader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "data/utf8.h"
#include "tensor/error.h"

namespace qkv::data {
namespace {

constexpr size_t kChunkBytes = size_t{1} << 20;  // read a MiB at a time

// corpus.h's rules for one line (its "\r" already stripped); `offset` is its file offset.
void check_line(const std::string& op, const std::string& where, std::string_view line, int64_t number, uint64_t offset,
                const CorpusLimits& limits) {
  check(limits.max_line_bytes <= 0 || static_cast<int64_t>(line.size()) <= limits.max_line_bytes,
        "{}: {} line {}: the line has {} bytes, over the limit of {} bytes per line", op, where, number, line.size(),
        limits.max_line_bytes);
  const size_t bad = first_invalid_utf8(line);
  check(bad == std::string_view::npos,
        "{}: {} line {}: invalid UTF-8 at byte offset {} of the line (file offset {}): byte 0x{:02X}", op, where,
        number, bad, offset + bad, bad == std::string_view::npos ? 0 : static_cast<unsigned char>(line[bad]));
  const size_t control = first_control_character(line);
  check(control == std::string_view::npos,
        "{}: {} line {}: control character U+{:04X} at byte offset {} of the line (file offset {}){}; remove it "
        "(control characters are not text and the tokenizers would keep them inside words)",
        op, where, number, control == std::string_view::npos ? 0 : static_cast<unsigned char>(line[control]), control,
        offset + control,
        control != std::string_view::npos && line[control] == '\0' ? " (a NUL byte: is this a binary or UTF-16 file?)"
                                                                   : "");
  check(limits.allow_empty || !is_ascii_blank(line),
        "{}: {} line {}: empty line (set CorpusLimits::allow_empty to accept empty lines)", op, where, number);
}

}  // namespace

LineReader::LineReader(std::string op, const std::string& path, CorpusLimits limits, std::string where)
    : op_(std::move(op)), path_(path), where_(where.empty() ? "'" + path + "'" : std::move(where)), limits_(limits) {
  std::error_code ec;
  check(!std::filesystem::is_directory(path, ec), "{}: cannot open '{}': it is a directory", op_, path);
  in_.open(path, std::ios::binary);
  check(in_.is_open(), "{}: cannot open '{}': {}", op_, path, std::strerror(errno));
}

bool LineReader::read_more() {
  if (at_end_) return false;
  const size_t had = buffer_.size();
  buffer_.resize(had + kChunkBytes);
  in_.read(buffer_.data() + had, static_cast<std::streamsize>(kChunkBytes));
  check(!in_.bad(), "{}: error while reading '{}'", op_, path_);
  const auto got = static_cast<size_t>(in_.gcount());
  buffer_.resize(had + got);
  if (got == 0) at_end_ = true;
  return got > 0;
}

bool LineReader::next(std::string_view& line) {
  // Drop what earlier calls returned once it is most of the buffer, so the buffer stays about a
  // chunk (plus the longest line) however large the file.
  if (begin_ > 0 && begin_ >= buffer_.size() / 2) {
    buffer_.erase(0, begin_);
    buffer_offset_ += begin_;
    begin_ = 0;
  }
  size_t end = buffer_.find('\n', begin_);
  while (end == std::string::npos) {
    const size_t searched = buffer_.size();
    if (limits_.max_line_bytes > 0) {  // a file without newlines must not be read whole to say so
      const auto so_far = static_cast<int64_t>(searched - begin_);
      check(so_far <= limits_.max_line_bytes + 1,
            "{}: {} line {}: the line has more than {} bytes, over the limit of {} bytes per line", op_, where_,
            number_ + 1, so_far - 1, limits_.max_line_bytes);
    }
    if (!read_more()) break;
    end = buffer_.find('\n', searched);
  }
  if (end == std::string::npos) {
    if (begin_ == buffer_.size()) {  // the end of the file
      check(limits_.allow_empty || number_ > 0, "{}: {} is empty (set CorpusLimits::allow_empty to accept it)", op_,
            where_);
      return false;
    }
    end = buffer_.size();  // a last line without "\n"
  }
  line = std::string_view(buffer_).substr(begin_, end - begin_);
  const uint64_t offset = buffer_offset_ + begin_;
  begin_ = std::min(end + 1, buffer_.size());
  ++number_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  check_line(op_, where_, line, number_, offset, limits_);
  return true;
}

}  // namespace qkv::data
