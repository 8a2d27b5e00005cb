// corpus_test.cpp — reading line files and parallel corpora, and every error they report:
// missing file, different line counts, empty line, long line, invalid UTF-8, bad TSV line.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "data/corpus.h"
#include "data/utf8.h"
#include "io/test_temp_dir.h"
#include "tensor/error.h"

using namespace qkv;
using namespace qkv::data;
using Catch::Contains;
using Strings = std::vector<std::string>;

TEST_CASE("read_lines keeps lines as written and strips a trailing CR and reads a last line without newline",
          "[data][corpus]") {
  test::TempDir dir;
  const std::string path = dir.file("in.txt");
  test::write_bytes(path, "a b\r\n  two  spaces kept \nüber café\nlast");
  CHECK(read_lines(path) == Strings{"a b", "  two  spaces kept ", "über café", "last"});
  test::write_bytes(path, "one\ntwo\n");
  CHECK(read_lines(path) == Strings{"one", "two"});  // the final newline ends a line, adds none
}

TEST_CASE("read_parallel pairs line i of the two files", "[data][corpus]") {
  test::TempDir dir;
  test::write_bytes(dir.file("s.en"), "a dog .\na cat .\n");
  test::write_bytes(dir.file("s.de"), "ein hund .\neine katze .\n");
  const ParallelCorpus c = read_parallel(dir.file("s.en"), dir.file("s.de"));
  REQUIRE(c.size() == 2);
  CHECK(c.source == Strings{"a dog .", "a cat ."});
  CHECK(c.target == Strings{"ein hund .", "eine katze ."});
  CHECK(c.source_name == dir.file("s.en"));
  CHECK(c.target_name == dir.file("s.de"));
}

TEST_CASE("read_parallel_tsv splits each line at its one tab", "[data][corpus]") {
  test::TempDir dir;
  test::write_bytes(dir.file("p.tsv"), "a dog .\tein hund .\r\na cat .\teine katze .\n");
  const ParallelCorpus c = read_parallel_tsv(dir.file("p.tsv"));
  CHECK(c.source == Strings{"a dog .", "a cat ."});
  CHECK(c.target == Strings{"ein hund .", "eine katze ."});
}

TEST_CASE("a missing file is an error naming the path", "[data][corpus]") {
  test::TempDir dir;
  const std::string missing = dir.file("nope.txt");
  CHECK_THROWS_AS(read_lines(missing), Error);
  CHECK_THROWS_WITH(read_lines(missing), Contains("cannot open") && Contains(missing));
  test::write_bytes(dir.file("ok.txt"), "x\n");
  CHECK_THROWS_WITH(read_parallel(dir.file("ok.txt"), missing), Contains("cannot open") && Contains(missing));
  CHECK_THROWS_WITH(read_parallel_tsv(missing), Contains("cannot open") && Contains(missing));
  CHECK_THROWS_WITH(read_lines(dir.path()), Contains(dir.path()));  // a directory is not readable as lines
}

TEST_CASE("files with different line counts are an error giving both counts", "[data][corpus]") {
  test::TempDir dir;
  test::write_bytes(dir.file("a"), "1\n2\n3\n");
  test::write_bytes(dir.file("b"), "1\n2\n3\n4\n");
  CHECK_THROWS_WITH(read_parallel(dir.file("a"), dir.file("b")), Contains("different line counts") &&
                                                                     Contains("has 3 lines") && Contains("has 4") &&
                                                                     Contains("line 4 of '" + dir.file("b") + "'"));
}

TEST_CASE("an empty line is an error with file and line number unless allowed", "[data][corpus]") {
  test::TempDir dir;
  const std::string path = dir.file("e.txt");
  test::write_bytes(path, "one\ntwo\n\nfour\n");
  CHECK_THROWS_WITH(read_lines(path), Contains(path) && Contains("line 3") && Contains("empty line"));
  test::write_bytes(path, "one\n  \t \n");  // whitespace only counts as empty
  CHECK_THROWS_WITH(read_lines(path), Contains("line 2") && Contains("empty line"));
  CorpusLimits allow;
  allow.allow_empty = true;
  CHECK(read_lines(path, allow) == Strings{"one", "  \t "});
  test::write_bytes(path, "");
  CHECK_THROWS_WITH(read_lines(path), Contains("is empty"));
  CHECK(read_lines(path, allow).empty());
  test::write_bytes(dir.file("s"), "x\n\n");
  test::write_bytes(dir.file("t"), "y\nz\n");
  CHECK_THROWS_WITH(read_parallel(dir.file("s"), dir.file("t")), Contains(dir.file("s")) && Contains("line 2"));
}

TEST_CASE("a line over max_line_bytes is an error giving its length and the limit", "[data][corpus]") {
  test::TempDir dir;
  const std::string path = dir.file("long.txt");
  test::write_bytes(path, "short\n" + std::string(11, 'x') + "\n");
  CorpusLimits limits;
  limits.max_line_bytes = 10;
  CHECK_THROWS_WITH(read_lines(path, limits), Contains("line 2") && Contains("11 bytes") && Contains("limit of 10"));
  limits.max_line_bytes = 11;
  CHECK(read_lines(path, limits).size() == 2);
  test::write_bytes(path, std::string(10, 'x') + "\r\n");  // the stripped CR does not count
  limits.max_line_bytes = 10;
  CHECK(read_lines(path, limits) == Strings{std::string(10, 'x')});
  limits.max_line_bytes = 0;  // no limit
  test::write_bytes(path, std::string(100000, 'x') + "\n");
  CHECK(read_lines(path, limits).size() == 1);
}

TEST_CASE("invalid UTF-8 is an error giving the line and the byte offset", "[data][corpus]") {
  test::TempDir dir;
  const std::string path = dir.file("bad.txt");
  test::write_bytes(path, "fine\nab\xC3(cd\n");  // C3 needs a continuation byte
  CHECK_THROWS_WITH(read_lines(path), Contains("line 2") && Contains("invalid UTF-8") &&
                                          Contains("byte offset 2 of the line") && Contains("file offset 7") &&
                                          Contains("0xC3"));
  test::write_bytes(path, "\xC0\xAF\n");  // an overlong '/'
  CHECK_THROWS_WITH(read_lines(path), Contains("line 1") && Contains("byte offset 0"));
  test::write_bytes(path, "x\xED\xA0\x80\n");  // a surrogate
  CHECK_THROWS_WITH(read_lines(path), Contains("byte offset 1"));
  test::write_bytes(path, "ok \xF0\x9F\x98\x80 \xE2\x82\xAC\n");  // emoji and euro sign are fine
  CHECK(read_lines(path).size() == 1);
}

TEST_CASE("a TSV line without exactly one tab or with an empty side is an error", "[data][corpus]") {
  test::TempDir dir;
  const std::string path = dir.file("p.tsv");
  test::write_bytes(path, "a\tb\nno tab here\n");
  CHECK_THROWS_WITH(read_parallel_tsv(path), Contains("line 2") && Contains("exactly one tab") && Contains("found 0"));
  test::write_bytes(path, "a\tb\tc\n");
  CHECK_THROWS_WITH(read_parallel_tsv(path), Contains("line 1") && Contains("found 2"));
  test::write_bytes(path, "a\tb\n\tb\n");
  CHECK_THROWS_WITH(read_parallel_tsv(path), Contains("line 2") && Contains("source (before the tab) is empty"));
  test::write_bytes(path, "a\t \n");
  CHECK_THROWS_WITH(read_parallel_tsv(path), Contains("line 1") && Contains("target (after the tab) is empty"));
  CorpusLimits allow;
  allow.allow_empty = true;
  CHECK(read_parallel_tsv(path, allow).target == Strings{" "});
  test::write_bytes(path, "a\tb\n\n");
  CHECK_THROWS_WITH(read_parallel_tsv(path), Contains("line 2") && Contains("found 0"));
}

TEST_CASE("UTF-8 helpers agree with hand-decoded characters", "[data][corpus]") {
  const std::string s = "a\xC3\xBC\xE2\x82\xAC\xF0\x9F\x98\x80";  // a ü € 😀
  size_t pos = 0;
  CHECK(next_code_point(s, pos) == U'a');
  CHECK(next_code_point(s, pos) == U'\u00FC');
  CHECK(next_code_point(s, pos) == U'\u20AC');
  CHECK(next_code_point(s, pos) == U'\U0001F600');
  CHECK(pos == s.size());
  CHECK(first_invalid_utf8(s) == std::string_view::npos);
  CHECK(first_invalid_utf8("ab\xF4\x90\x80\x80") == 2);  // above U+10FFFF
  CHECK(first_invalid_utf8("\x80") == 0);
  CHECK(is_unicode_space(U'\u00A0'));
  CHECK(is_unicode_space(U'\u3000'));
  CHECK_FALSE(is_unicode_space(U'\u200B'));  // zero-width space is not whitespace in Python
  CHECK_FALSE(is_unicode_space(U'x'));
}

TEST_CASE("a control character (NUL, ESC, DEL, a separator) is an error naming the file, line and offset",
          "[data][corpus]") {
  test::TempDir dir;
  const std::string path = dir.file("ctrl.txt");
  for (const auto& [bad, code] :
       {std::pair{std::string("a\0b", 3), "U+0000"}, std::pair{std::string("a\x1b[0m"), "U+001B"},
        std::pair{std::string("a\x7f"), "U+007F"},
        std::pair{std::string("a\x1f"
                              "b"),
                  "U+001F"},
        std::pair{std::string("\x01"), "U+0001"}}) {
    test::write_bytes(path, "fine\n" + bad + "\n");
    CHECK_THROWS_WITH(read_lines(path), Contains(path) && Contains("line 2") && Contains(code));
    test::write_bytes(path, "ok\tfine\nx\t" + bad + "\n");
    CHECK_THROWS_WITH(read_parallel_tsv(path), Contains("line 2") && Contains(code));
  }
  test::write_bytes(path, std::string("a\0b\n", 4));
  CHECK_THROWS_WITH(read_lines(path), Contains("byte offset 1") && Contains("a NUL byte"));
  test::write_bytes(path,
                    "tab\tvt\x0b"
                    "ff\x0c"
                    "cr\r\n");  // whitespace is text
  CHECK(read_lines(path).size() == 1);
}

TEST_CASE("lines have no length limit unless one is set", "[data][corpus]") {
  test::TempDir dir;
  const std::string path = dir.file("long.txt");
  test::write_bytes(path, std::string(100000, 'x') + "\n");
  CHECK(read_lines(path).size() == 1);
  CHECK(first_control_character("plain text") == std::string_view::npos);
}

TEST_CASE("replace_non_text_bytes keeps text and whitespace and replaces what no line can hold", "[data][corpus]") {
  CHECK(replace_non_text_bytes("Ein Hund läuft.\t ok") == "Ein Hund läuft.\t ok");
  CHECK(replace_non_text_bytes(std::string("a\nb\0c\x7f", 6)) == "a\uFFFDb\uFFFDc\uFFFD");
  CHECK(replace_non_text_bytes("") == "");
}
