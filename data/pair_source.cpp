// pair_source.cpp — visiting a parallel corpus pair by pair (see pair_source.h).
#include "data/pair_source.h"

#include <algorithm>
#include <random>

#include "data/line_reader.h"
#include "data/utf8.h"
#include "tensor/error.h"

namespace qkv::data {
PairFiles::PairFiles(std::string tsv, std::string source, std::string target, CorpusLimits limits)
    : tsv_(std::move(tsv)), source_(std::move(source)), target_(std::move(target)), limits_(limits) {}

std::string PairFiles::source_name() const { return tsv_.empty() ? source_ : tsv_ + " (column 1)"; }
std::string PairFiles::target_name() const { return tsv_.empty() ? target_ : tsv_ + " (column 2)"; }

void PairFiles::for_each(const PairVisitor& visit) const {
  if (tsv_.empty()) {
    for_each_aligned(visit);
  } else {
    for_each_tsv(visit);
  }
}

void PairFiles::for_each_aligned(const PairVisitor& visit) const {
  LineReader source("read_parallel", source_, limits_), target("read_parallel", target_, limits_);
  std::string_view s, t;
  for (;;) {
    const bool more_source = source.next(s), more_target = target.next(t);
    if (!more_source && !more_target) return;
    if (more_source != more_target) {  // count the longer file's other lines for the message
      LineReader& longer = more_source ? source : target;
      const LineReader& shorter = more_source ? target : source;
      const int64_t common = shorter.line_number();
      std::string_view rest;
      while (longer.next(rest)) {
      }
      const std::string& longer_path = more_source ? source_ : target_;
      throw Error(fmt::format(
          "read_parallel: the files have different line counts: '{}' has {} lines but '{}' has {}; line {} of '{}' "
          "has no partner",
          source_, more_source ? longer.line_number() : common, target_, more_source ? common : longer.line_number(),
          common + 1, longer_path));
    }
    visit(s, t);
  }
}

void PairFiles::for_each_tsv(const PairVisitor& visit) const {
  const std::string op = "read_parallel_tsv";
  CorpusLimits line_limits = limits_;  // empty sides are checked below, so the reader accepts them
  line_limits.allow_empty = true;
  LineReader in(op, tsv_, line_limits);
  std::string_view line;
  while (in.next(line)) {
    const int64_t number = in.line_number();
    const auto tabs = std::count(line.begin(), line.end(), '\t');
    check(tabs == 1, "{}: {} line {}: expected exactly one tab (source<TAB>target), found {}", op, in.where(), number,
          tabs);
    const size_t tab = line.find('\t');
    const std::string_view source = line.substr(0, tab), target = line.substr(tab + 1);
    check(limits_.allow_empty || !is_ascii_blank(source),
          "{}: {} line {}: the source (before the tab) is empty (set CorpusLimits::allow_empty to accept it)", op,
          in.where(), number);
    check(limits_.allow_empty || !is_ascii_blank(target),
          "{}: {} line {}: the target (after the tab) is empty (set CorpusLimits::allow_empty to accept it)", op,
          in.where(), number);
    visit(source, target);
  }
  check(limits_.allow_empty || in.line_number() > 0, "{}: {} is empty (set CorpusLimits::allow_empty to accept it)", op,
        in.where());
}

void PairsInMemory::for_each(const PairVisitor& visit) const {
  check(corpus_.source.size() == corpus_.target.size(), "PairsInMemory: {} source but {} target sentences ({}, {})",
        corpus_.source.size(), corpus_.target.size(), corpus_.source_name, corpus_.target_name);
  for (size_t i = 0; i < corpus_.size(); ++i) visit(corpus_.source[i], corpus_.target[i]);
}

ParallelCorpus read_all(const PairSource& pairs) {
  ParallelCorpus corpus;
  corpus.source_name = pairs.source_name();
  corpus.target_name = pairs.target_name();
  pairs.for_each([&](std::string_view s, std::string_view t) {
    corpus.source.emplace_back(s);
    corpus.target.emplace_back(t);
  });
  return corpus;
}

ParallelCorpus sample_pairs(const PairSource& pairs, int64_t max_pairs, uint64_t seed) {
  check(max_pairs >= 0, "sample_pairs: max_pairs must be 0 (all) or more, got {}", max_pairs);
  ParallelCorpus sample;
  sample.source_name = pairs.source_name();
  sample.target_name = pairs.target_name();
  std::mt19937_64 random(seed);  // a fully specified engine: the same numbers everywhere
  const auto room = static_cast<uint64_t>(max_pairs);
  uint64_t seen = 0;
  pairs.for_each([&](std::string_view source, std::string_view target) {
    ++seen;
    if (room == 0 || seen <= room) {
      sample.source.emplace_back(source);
      sample.target.emplace_back(target);
    } else if (const uint64_t slot = random() % seen; slot < room) {  // keep it with probability room/seen
      sample.source[slot] = source;
      sample.target[slot] = target;
    }
  });
  return sample;
}

}  // namespace qkv::data
