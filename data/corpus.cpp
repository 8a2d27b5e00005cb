// corpus.cpp — reading and checking sentence files (see corpus.h).
#include "data/corpus.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>

#include "data/utf8.h"
#include "tensor/error.h"

namespace qkv::data {
namespace {

std::string read_file(const std::string& op, const std::string& path) {
  std::error_code ec;
  check(!std::filesystem::is_directory(path, ec), "{}: cannot open '{}': it is a directory", op, path);
  std::ifstream in(path, std::ios::binary);
  check(static_cast<bool>(in), "{}: cannot open '{}': {}", op, path, std::strerror(errno));
  std::string bytes;
  try {
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception& e) {
    check(false, "{}: error while reading '{}': {}", op, path, e.what());
  }
  check(!in.bad(), "{}: error while reading '{}'", op, path);
  return bytes;
}

bool all_space(std::string_view line) {
  for (char c : line)
    if (!is_ascii_space(c)) return false;
  return true;
}

// Splits a file into checked lines. `where` names the file in messages.
std::vector<std::string> split_checked_lines(const std::string& op, const std::string& where, std::string_view bytes,
                                             const CorpusLimits& limits) {
  std::vector<std::string> lines;
  size_t start = 0;
  int64_t number = 0;
  while (start < bytes.size()) {
    size_t end = bytes.find('\n', start);
    if (end == std::string_view::npos) end = bytes.size();
    std::string_view line = bytes.substr(start, end - start);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    check(limits.max_line_bytes <= 0 || static_cast<int64_t>(line.size()) <= limits.max_line_bytes,
          "{}: {} line {}: the line has {} bytes, over the limit of {} bytes per line", op, where, number, line.size(),
          limits.max_line_bytes);
    const size_t bad = first_invalid_utf8(line);
    check(bad == std::string_view::npos,
          "{}: {} line {}: invalid UTF-8 at byte offset {} of the line (file offset {}): byte 0x{:02X}", op, where,
          number, bad, start + bad, bad == std::string_view::npos ? 0 : static_cast<unsigned char>(line[bad]));
    const size_t control = first_control_character(line);
    check(control == std::string_view::npos,
          "{}: {} line {}: control character U+{:04X} at byte offset {} of the line (file offset {}){}; remove it "
          "(control characters are not text and the tokenizers would keep them inside words)",
          op, where, number, control == std::string_view::npos ? 0 : static_cast<unsigned char>(line[control]), control,
          start + control,
          control != std::string_view::npos && line[control] == '\0' ? " (a NUL byte: is this a binary or UTF-16 file?)"
                                                                     : "");
    check(limits.allow_empty || !all_space(line),
          "{}: {} line {}: empty line (set CorpusLimits::allow_empty to accept empty lines)", op, where, number);
    lines.emplace_back(line);
    start = end + 1;
  }
  check(limits.allow_empty || !lines.empty(), "{}: {} is empty (set CorpusLimits::allow_empty to accept it)", op,
        where);
  return lines;
}

}  // namespace

size_t first_control_character(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if ((c < 0x20 && !is_ascii_space(static_cast<char>(c))) || c == 0x7F) return i;
  }
  return std::string_view::npos;
}

std::string replace_non_text_bytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\n' || first_control_character(std::string_view(&c, 1)) == 0) {
      out.append("\xEF\xBF\xBD");  // U+FFFD
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> read_lines(const std::string& path, const CorpusLimits& limits) {
  return split_checked_lines("read_lines", "'" + path + "'", read_file("read_lines", path), limits);
}

ParallelCorpus read_parallel(const std::string& source_path, const std::string& target_path,
                             const CorpusLimits& limits) {
  const std::string op = "read_parallel";
  ParallelCorpus corpus;
  corpus.source_name = source_path;
  corpus.target_name = target_path;
  corpus.source = split_checked_lines(op, "'" + source_path + "'", read_file(op, source_path), limits);
  corpus.target = split_checked_lines(op, "'" + target_path + "'", read_file(op, target_path), limits);
  const size_t ns = corpus.source.size(), nt = corpus.target.size();
  check(ns == nt,
        "read_parallel: the files have different line counts: '{}' has {} lines but '{}' has {}; line {} of '{}' has "
        "no partner",
        source_path, ns, target_path, nt, std::min(ns, nt) + 1, ns > nt ? source_path : target_path);
  return corpus;
}

ParallelCorpus read_parallel_tsv(const std::string& path, const CorpusLimits& limits) {
  const std::string op = "read_parallel_tsv";
  const std::string where = "'" + path + "'";
  // Empty lines are checked per side below, so the line reader accepts them.
  CorpusLimits line_limits = limits;
  line_limits.allow_empty = true;
  const std::vector<std::string> lines = split_checked_lines(op, where, read_file(op, path), line_limits);
  check(limits.allow_empty || !lines.empty(), "{}: {} is empty (set CorpusLimits::allow_empty to accept it)", op,
        where);
  ParallelCorpus corpus;
  corpus.source_name = path + " (column 1)";
  corpus.target_name = path + " (column 2)";
  corpus.source.reserve(lines.size());
  corpus.target.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const size_t tabs = static_cast<size_t>(std::count(line.begin(), line.end(), '\t'));
    check(tabs == 1, "{}: {} line {}: expected exactly one tab (source<TAB>target), found {}", op, where, i + 1, tabs);
    const size_t tab = line.find('\t');
    std::string source = line.substr(0, tab), target = line.substr(tab + 1);
    check(limits.allow_empty || !all_space(source),
          "{}: {} line {}: the source (before the tab) is empty (set CorpusLimits::allow_empty to accept it)", op,
          where, i + 1);
    check(limits.allow_empty || !all_space(target),
          "{}: {} line {}: the target (after the tab) is empty (set CorpusLimits::allow_empty to accept it)", op, where,
          i + 1);
    corpus.source.push_back(std::move(source));
    corpus.target.push_back(std::move(target));
  }
  return corpus;
}

}  // namespace qkv::data
