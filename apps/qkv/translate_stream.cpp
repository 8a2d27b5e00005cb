// translate_stream.cpp — `qkv translate`'s read-translate-write loop (see translate_stream.h).
#include "apps/qkv/translate_stream.h"

#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

namespace qkv::cli {
namespace {

struct Line {
  int64_t number;  // 1-based, in the input
  std::string text;
};

// The lines of one batch, and the message of the bad line (or read error) that ended it early.
struct Batch {
  std::vector<Line> lines;
  std::optional<std::string> bad_line;
};

Batch read_batch(LineReader& in, int64_t batch_size) {
  Batch batch;
  try {
    while (static_cast<int64_t>(batch.lines.size()) < batch_size) {
      std::optional<std::string> text = in.next(/*wait=*/batch.lines.empty());
      if (!text) break;
      batch.lines.push_back({in.lines_read(), std::move(*text)});
    }
  } catch (const Error& e) {
    batch.bad_line = e.what();
  }
  return batch;
}

void append_translation(std::string& out, int64_t number, const train::Translation& t, StreamFormat format) {
  switch (format) {
    case StreamFormat::text:
      out += t.n_best.empty() ? std::string() : t.n_best.front().text;
      out += '\n';
      return;
    case StreamFormat::scores:
      if (t.n_best.empty()) {
        out += '\n';
      } else {
        out += fmt::format("{}\t{:.4f}\n", t.n_best.front().text, t.n_best.front().score);
      }
      return;
    case StreamFormat::n_best:
      for (const train::ScoredText& h : t.n_best) out += fmt::format("{}\t{:.4f}\t{}\n", number, h.score, h.text);
      return;
  }
}

// Translates one batch and returns its output; a line too long for the model (without
// truncate) is reported on stderr and left out, and `too_long` counts it.
std::string translate_batch(const train::LoadedModel& model, const std::vector<Line>& lines,
                            const StreamOptions& options, const std::string& source, int64_t& too_long) {
  const int64_t limit = model.max_source_tokens();
  std::vector<std::string> given;  // the lines the model translates
  std::vector<bool> refused(lines.size(), false);
  for (size_t i = 0; i < lines.size(); ++i) {
    const int64_t tokens = options.translate.truncate ? 0 : model.source_tokens(lines[i].text);
    if (tokens > limit) {
      fmt::print(stderr,
                 "qkv translate: {} line {} has {} source tokens, more than the model takes ({}); its output line is "
                 "left empty (--truncate translates its first {} tokens)\n",
                 source, lines[i].number, tokens, limit, limit);
      refused[i] = true;
      ++too_long;
      continue;
    }
    given.push_back(lines[i].text);
  }
  const std::vector<train::Translation> translations = model.translate_n_best(given, options.translate);
  std::string out;
  size_t k = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (refused[i]) {
      append_translation(out, lines[i].number, train::Translation{}, options.format);
      continue;
    }
    const train::Translation& t = translations[k++];
    if (t.truncated) {
      fmt::print(stderr,
                 "qkv translate: warning: {} line {} has {} source tokens, more than the model takes ({}); "
                 "translated its first {} (--truncate)\n",
                 source, lines[i].number, t.source_tokens, limit, limit);
    }
    if (t.unfinished) {
      fmt::print(stderr,
                 "qkv translate: warning: {} line {}: the translation reached the model's limit of {} target tokens "
                 "(its positions) unfinished, and was cut there\n",
                 source, lines[i].number, model.model->max_target_length());
    }
    append_translation(out, lines[i].number, t, options.format);
  }
  return out;
}

}  // namespace

int translate_stream(const train::LoadedModel& model, LineReader& in, const StreamOptions& options,
                     const std::function<void(std::string_view)>& write) {
  const int64_t batch_size = in.is_terminal() ? 1 : options.batch_size;
  int64_t too_long = 0, written = 0;  // written: the number of the last line written
  for (;;) {
    const Batch batch = read_batch(in, batch_size);
    if (!batch.lines.empty()) {
      write(translate_batch(model, batch.lines, options, in.name(), too_long));
      written = batch.lines.back().number;
    }
    if (batch.bad_line) {
      throw Error(fmt::format("qkv translate: {} ({})", *batch.bad_line,
                              written == 0   ? "no line was translated"
                              : written == 1 ? "the line before it was translated"
                                             : fmt::format("the {} lines before it were translated", written)));
    }
    if (batch.lines.empty()) break;
  }
  return too_long > 0 ? 1 : 0;
}

}  // namespace qkv::cli
