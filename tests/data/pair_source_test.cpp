// pair_source_test.cpp — PairFiles and PairsInMemory (data/pair_source.h): the same pairs as the
// readers into memory, pass after pass, with their errors; and sample_pairs: everything in order
// up to its limit, past it a fixed-size, aligned, seed-determined and uniform sample.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "data/pair_source.h"
#include "io/test_temp_dir.h"
#include "tensor/error.h"

using namespace qkv;
using namespace qkv::data;
using Catch::Contains;
using Strings = std::vector<std::string>;

namespace {

ParallelCorpus numbered(int n) {
  ParallelCorpus c;
  for (int i = 0; i < n; ++i) {
    c.source.push_back("s" + std::to_string(i));
    c.target.push_back("t" + std::to_string(i));
  }
  return c;
}

}  // namespace

TEST_CASE("PairFiles visits the pairs read_parallel and read_parallel_tsv read, on every pass", "[data][pairs]") {
  test::TempDir dir;
  test::write_bytes(dir.file("s"), "a dog .\r\na cat .\n");
  test::write_bytes(dir.file("t"), "ein hund .\neine katze .");
  test::write_bytes(dir.file("p.tsv"), "a dog .\tein hund .\na cat .\teine katze .\n");
  const PairFiles aligned("", dir.file("s"), dir.file("t")), tsv(dir.file("p.tsv"), "", "");
  for (const PairFiles* files : {&aligned, &tsv}) {
    for (int pass = 0; pass < 2; ++pass) {
      const ParallelCorpus c = read_all(*files);
      CHECK(c.source == Strings{"a dog .", "a cat ."});
      CHECK(c.target == Strings{"ein hund .", "eine katze ."});
    }
  }
  CHECK(aligned.source_name() == dir.file("s"));
  CHECK(tsv.target_name() == dir.file("p.tsv") + " (column 2)");
}

TEST_CASE("PairFiles reports what read_parallel reports, by file and line", "[data][pairs]") {
  test::TempDir dir;
  test::write_bytes(dir.file("a"), "1\n2\n3\n4\n5\n");
  test::write_bytes(dir.file("b"), "1\n2\n");
  const PairFiles uneven("", dir.file("a"), dir.file("b"));
  CHECK_THROWS_WITH(read_all(uneven), Contains("read_parallel: the files have different line counts") &&
                                          Contains("'" + dir.file("a") + "' has 5 lines") &&
                                          Contains("'" + dir.file("b") + "' has 2") &&
                                          Contains("line 3 of '" + dir.file("a") + "' has no partner"));
  test::write_bytes(dir.file("p.tsv"), "x\ty\nno tab here\n");
  CHECK_THROWS_WITH(read_all(PairFiles(dir.file("p.tsv"), "", "")),
                    Contains("read_parallel_tsv") && Contains("line 2") && Contains("found 0"));
  test::write_bytes(dir.file("empty.tsv"), "");
  CHECK_THROWS_WITH(read_all(PairFiles(dir.file("empty.tsv"), "", "")), Contains("is empty"));
  CHECK_THROWS_WITH(read_all(PairFiles("", dir.file("missing"), dir.file("b"))),
                    Contains("read_parallel: cannot open") && Contains("missing"));
}

TEST_CASE("PairsInMemory visits a corpus already read", "[data][pairs]") {
  const ParallelCorpus c = numbered(3);
  const ParallelCorpus copy = read_all(PairsInMemory(c));
  CHECK(copy.source == c.source);
  CHECK(copy.target == c.target);
}

TEST_CASE("sample_pairs keeps everything in order up to its limit", "[data][pairs]") {
  const ParallelCorpus c = numbered(10);
  for (const int64_t max_pairs : {0, 10, 11, 1000}) {
    const ParallelCorpus s = sample_pairs(PairsInMemory(c), max_pairs, 7);
    CHECK(s.source == c.source);
    CHECK(s.target == c.target);
  }
  CHECK_THROWS_WITH(sample_pairs(PairsInMemory(c), -1, 7), Contains("max_pairs"));
}

TEST_CASE("sample_pairs past its limit: aligned distinct pairs, fixed by the seed, each equally likely",
          "[data][pairs]") {
  const ParallelCorpus c = numbered(10);
  const PairsInMemory pairs(c);
  const ParallelCorpus first = sample_pairs(pairs, 3, 42);
  REQUIRE(first.size() == 3);
  std::set<std::string> distinct;
  for (size_t i = 0; i < first.size(); ++i) {
    CHECK(first.target[i] == "t" + first.source[i].substr(1));  // still aligned
    distinct.insert(first.source[i]);
  }
  CHECK(distinct.size() == 3);
  CHECK(sample_pairs(pairs, 3, 42).source == first.source);  // the same seed, the same sample

  // Over 3,000 seeds each of the 10 pairs should be drawn 900 times (3 of 10 each time); the
  // standard deviation of each count is about 25, so ±120 is over 4.5 of them.
  std::map<std::string, int> drawn;
  std::set<Strings> samples;
  for (uint64_t seed = 0; seed < 3000; ++seed) {
    const ParallelCorpus s = sample_pairs(pairs, 3, seed);
    for (const std::string& source : s.source) ++drawn[source];
    samples.insert(s.source);
  }
  for (int i = 0; i < 10; ++i) {
    INFO("pair " << i);
    CHECK(std::abs(drawn["s" + std::to_string(i)] - 900) < 120);
  }
  CHECK(samples.size() > 100);  // seeds give different samples (120 sets of 3, in some order)
}
