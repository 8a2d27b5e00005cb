// options_toml_test.cpp — config.toml's strings are written so that qkv train --config reads
// back exactly what the run used. Found by fuzz/fuzz_config_file.cpp
// (fuzz/corpus/config_file/strings_escaped): CLI11's reader takes quoted text as it is, without
// TOML escapes, so out-dir = "runs\\x" read back as runs\\x with two backslashes. And a
// config.toml written before qkv train's recipe changed still describes its run.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <string>

#include "io/test_temp_dir.h"
#include "train/options_toml.h"
#include "train/recipe.h"

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

TEST_CASE("config.toml says --joint-vocab either way, so today's recipe cannot change what it means", "[train]") {
  train::TrainOptions o;
  CHECK_THAT(train::options_as_toml(o), Contains("joint-vocab = false"));
  o.joint_vocab = true;
  CHECK_THAT(train::options_as_toml(o), Contains("joint-vocab = true"));
}

TEST_CASE("a config.toml qkv train wrote before its recipe changed keeps the options its run had", "[train]") {
  test::TempDir dir;
  {
    std::ofstream(dir.file("written.toml")) << train::options_as_toml(train::TrainOptions{});
    std::ofstream(dir.file("by_hand.toml")) << "# my recipe\nlr = 0.001\n";
  }
  CHECK(train::written_by_options_as_toml(dir.file("written.toml")));
  CHECK_FALSE(train::written_by_options_as_toml(dir.file("by_hand.toml")));
  CHECK_FALSE(train::written_by_options_as_toml(dir.file("missing.toml")));

  // The file had no joint-vocab and no share-embeddings key (a run with separate vocabularies,
  // from before either existed); it gave --finalize and the command line --keep-checkpoints.
  const std::set<std::string_view> present = {"--finalize", "--keep-checkpoints"};
  train::TrainOptions o = train::default_recipe(train::Arch::transformer);
  train::restore_absent_options(o, [&](std::string_view flag) { return present.contains(flag); });
  CHECK_FALSE(o.joint_vocab);
  CHECK_FALSE(o.model.share_embeddings);
  CHECK(o.finalize_beam == 5);  // present: its value stays
  CHECK(o.keep_checkpoints == 10);
  train::restore_absent_options(o, [](std::string_view) { return false; });
  CHECK(o.finalize_beam == 0);
  CHECK(o.keep_checkpoints == 0);
}
