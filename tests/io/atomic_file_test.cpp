// atomic_file_test.cpp — AtomicFile: the target holds the old or the new contents, never a
// mixture, and failed writes leave no temporary file behind.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "io/atomic_file.h"
#include "tensor/error.h"
#include "test_temp_dir.h"

using namespace qkv;
using Catch::Contains;

TEST_CASE("write_file_atomically creates and replaces a file, leaving no temporary", "[io][atomic]") {
  test::TempDir dir;
  const std::string path = dir.file("out.txt");
  write_file_atomically(path, "first");
  CHECK(test::read_bytes(path) == "first");
  write_file_atomically(path, "second, longer");
  CHECK(test::read_bytes(path) == "second, longer");
  CHECK(dir.entries() == std::vector<std::string>{"out.txt"});
}

TEST_CASE("AtomicFile writes in pieces and only shows them on commit", "[io][atomic]") {
  test::TempDir dir;
  const std::string path = dir.file("out.bin");
  write_file_atomically(path, "old");
  {
    AtomicFile out(path);
    out.write("new ");
    CHECK(test::read_bytes(path) == "old");  // not visible yet
    CHECK(std::filesystem::exists(out.temp_path()));
    CHECK(std::filesystem::path(out.temp_path()).parent_path() == std::filesystem::path(dir.path()));
    out.write("contents");
    out.commit();
    CHECK_THROWS_WITH(out.write("more"), Contains("already committed"));
  }
  CHECK(test::read_bytes(path) == "new contents");
  CHECK(dir.entries() == std::vector<std::string>{"out.bin"});
}

TEST_CASE("an AtomicFile abandoned before commit leaves the old file and no temporary", "[io][atomic]") {
  test::TempDir dir;
  const std::string path = dir.file("keep.txt");
  write_file_atomically(path, "precious");
  {
    AtomicFile out(path);
    out.write("half of a new ver");
  }
  CHECK(test::read_bytes(path) == "precious");
  CHECK(dir.entries() == std::vector<std::string>{"keep.txt"});
}

TEST_CASE("a write that fails part-way leaves the old file byte-identical", "[io][atomic]") {
  test::TempDir dir;
  const std::string path = dir.file("keep.txt");
  write_file_atomically(path, "precious bytes");
  {
    testing::ScopedWriteHook hook([](int64_t written, int64_t) {
      if (written >= 4) throw Error("injected: disk full");
    });
    auto two_writes = [&] {
      AtomicFile out(path);
      out.write("abcd");
      out.write("efgh");  // the hook throws here
      out.commit();
    };
    CHECK_THROWS_WITH(two_writes(), Contains("injected: disk full"));
  }
  CHECK(test::read_bytes(path) == "precious bytes");
  CHECK(dir.entries() == std::vector<std::string>{"keep.txt"});
}

TEST_CASE("a rename that fails leaves no temporary and names the target", "[io][atomic]") {
  test::TempDir dir;
  const std::string path = dir.file("occupied");
  std::filesystem::create_directory(path);
  test::write_bytes(dir.file("occupied/inside"), "x");  // rename(file, non-empty dir) fails
  CHECK_THROWS_WITH(write_file_atomically(path, "data"), Contains("occupied") && Contains("rename"));
  CHECK(dir.entries() == std::vector<std::string>{"occupied"});
  CHECK(test::read_bytes(dir.file("occupied/inside")) == "x");
}

TEST_CASE("AtomicFile reports a missing directory and a directory path", "[io][atomic]") {
  test::TempDir dir;
  CHECK_THROWS_WITH(write_file_atomically(dir.file("no/such/dir/f.txt"), "x"),
                    Contains("no/such/dir/f.txt") && Contains("cannot create temporary file"));
  CHECK_THROWS_WITH(write_file_atomically(dir.path() + "/", "x"), Contains("names a directory"));
  CHECK_THROWS_WITH(write_file_atomically("", "x"), Contains("empty"));
}

TEST_CASE("a process that dies mid-write leaves the old file intact", "[io][atomic]") {
  test::TempDir dir;
  const std::string path = dir.file("model.bin");
  write_file_atomically(path, "the previous checkpoint");
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child must never return into Catch (it would go on running the other tests).
    try {
      testing::ScopedWriteHook hook([](int64_t written, int64_t) {
        if (written > 0) ::_exit(7);  // a crash between two writes: no destructors, no cleanup
      });
      AtomicFile out(path);
      out.write("the next che");
      out.write("ckpoint");
      out.commit();
    } catch (...) {
      ::_exit(99);
    }
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 7);
  CHECK(test::read_bytes(path) == "the previous checkpoint");
  // The crash leaves its temporary file (hidden, named after the target); the target is whole.
  const auto entries = dir.entries();
  CHECK(entries.size() == 2);
  CHECK(entries[0].rfind(".model.bin.tmp-", 0) == 0);
}
