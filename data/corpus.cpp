// corpus.cpp — reading sentence files into memory (see corpus.h), through data/line_reader.h and
// data/pair_source.h, which hold the checks.
#include "data/corpus.h"

#include "data/line_reader.h"
#include "data/pair_source.h"
#include "data/utf8.h"

namespace qkv::data {

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
  LineReader in("read_lines", path, limits);
  std::vector<std::string> lines;
  std::string_view line;
  while (in.next(line)) lines.emplace_back(line);
  return lines;
}

ParallelCorpus read_parallel(const std::string& source_path, const std::string& target_path,
                             const CorpusLimits& limits) {
  return read_all(PairFiles("", source_path, target_path, limits));
}

ParallelCorpus read_parallel_tsv(const std::string& path, const CorpusLimits& limits) {
  return read_all(PairFiles(path, "", "", limits));
}

}  // namespace qkv::data
