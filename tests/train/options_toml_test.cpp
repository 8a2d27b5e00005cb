// options_toml_test.cpp — config.toml's strings are written so that qkv train --config reads
// back exactly what the run used. Found by fuzz/fuzz_config_file.cpp
// (fuzz/corpus/config_file/strings_escaped): CLI11's reader takes quoted text as it is, without
// TOML escapes, so out-dir = "runs\\x" read back as runs\\x with two backslashes.
#include <catch2/catch.hpp>

#include <string>

#include "train/options_toml.h"

using namespace qkv;
using Catch::Matchers::Contains;

namespace {

std::string toml_with_out_dir(const std::string& out_dir) {
  train::TrainOptions o;
  o.out_dir = out_dir;
  return train::options_as_toml(o);
}

}  // namespace

TEST_CASE("config.toml writes strings without escapes: literal strings where a basic one would need them", "[train]") {
  CHECK_THAT(toml_with_out_dir(R"(runs\x)"), Contains(R"(out-dir = 'runs\x')"));
  CHECK_THAT(toml_with_out_dir(R"(runs/a "quoted" dir)"), Contains(R"(out-dir = 'runs/a "quoted" dir')"));
  CHECK_THAT(toml_with_out_dir("runs/it's"), Contains(R"(out-dir = "runs/it's")"));
  CHECK_THAT(toml_with_out_dir("runs/default"), Contains(R"(out-dir = "runs/default")"));
  CHECK_THAT(toml_with_out_dir("runs/default"), Contains(R"(tokenizer = "whitespace")"));
}

TEST_CASE("config.toml leaves out, with a comment, a string the config reader cannot read back", "[train]") {
  for (const std::string bad : {"runs/#1", "runs/a\nb", R"(it's "both")", R"(it's \ both)"}) {
    CAPTURE(bad);
    const std::string toml = toml_with_out_dir(bad);
    CHECK_THAT(toml, Contains("# out-dir is not written"));
    CHECK_THAT(toml, !Contains("out-dir ="));
    CHECK_FALSE(train::toml_writable(bad));
  }
  CHECK(train::toml_writable(R"(runs\x "y")"));
}
