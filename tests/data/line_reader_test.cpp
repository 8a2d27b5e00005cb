// line_reader_test.cpp — LineReader (data/line_reader.h) reads a file through a 1 MiB buffer:
// lines that straddle the buffer's refills, a line longer than the buffer, file offsets past the
// first MiB in messages, and a line limit enforced without reading a newline-free file whole.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "data/line_reader.h"
#include "io/test_temp_dir.h"
#include "tensor/error.h"

using namespace qkv;
using namespace qkv::data;
using Catch::Contains;

namespace {

std::vector<std::string> read_all_lines(LineReader& in) {
  std::vector<std::string> lines;
  std::string_view line;
  while (in.next(line)) {
    lines.emplace_back(line);
    REQUIRE(in.line_number() == static_cast<int64_t>(lines.size()));
  }
  return lines;
}

}  // namespace

TEST_CASE("LineReader returns every line of a file several buffers long, as written", "[data][line_reader]") {
  test::TempDir dir;
  std::vector<std::string> expected;
  std::string bytes;
  for (int i = 0; bytes.size() < (size_t{5} << 20); ++i) {  // 5 MiB of lines of 1 to 997 bytes
    std::string line = "line " + std::to_string(i) + " ";
    line += std::string(static_cast<size_t>((i * 7919) % 990), static_cast<char>('a' + i % 26));
    expected.push_back(line);
    bytes += line + (i % 3 == 0 ? "\r\n" : "\n");
  }
  expected.push_back(std::string(3u << 20, 'z'));  // one line of 3 MiB, longer than the buffer
  bytes += expected.back() + "\n";
  expected.push_back("last, without a newline");
  bytes += expected.back();
  test::write_bytes(dir.file("big.txt"), bytes);
  LineReader in("test", dir.file("big.txt"));
  CHECK(read_all_lines(in) == expected);
  std::string_view line;
  CHECK_FALSE(in.next(line));  // and stays at the end
}

TEST_CASE("LineReader names the line and the file offset of bad bytes past the first buffer", "[data][line_reader]") {
  test::TempDir dir;
  const std::string filler(999, 'x');
  std::string bytes;
  for (int i = 0; i < 2000; ++i) bytes += filler + "\n";  // 2,000,000 bytes
  bytes += "ok \xC3(\n";
  test::write_bytes(dir.file("bad.txt"), bytes);
  LineReader in("test", dir.file("bad.txt"));
  std::string_view line;
  for (int i = 0; i < 2000; ++i) REQUIRE(in.next(line));
  CHECK_THROWS_WITH(in.next(line), Contains("line 2001") && Contains("byte offset 3 of the line") &&
                                       Contains("file offset 2000003") && Contains("0xC3"));
}

TEST_CASE("LineReader refuses a file without newlines over the line limit before reading it whole",
          "[data][line_reader]") {
  test::TempDir dir;
  test::write_bytes(dir.file("one.txt"), std::string(4u << 20, 'x'));
  CorpusLimits limits;
  limits.max_line_bytes = 1000;
  LineReader in("test", dir.file("one.txt"), limits);
  std::string_view line;
  CHECK_THROWS_WITH(in.next(line), Contains("test: '" + dir.file("one.txt") + "' line 1") && Contains("more than") &&
                                       Contains("limit of 1000 bytes"));
}

TEST_CASE("LineReader uses the name it is given for the file in messages", "[data][line_reader]") {
  test::TempDir dir;
  test::write_bytes(dir.file("e.txt"), "a\n\n");
  LineReader in("op", dir.file("e.txt"), {}, "the source file");
  std::string_view line;
  REQUIRE(in.next(line));
  CHECK(in.where() == "the source file");
  CHECK_THROWS_WITH(in.next(line), Contains("op: the source file line 2: empty line"));
}
