// robustness_test.cpp — the checks that make a bad run fail early and leave nothing behind:
// the memory estimate against the real parameter counts and a simulated small machine, data
// fingerprints, orphaned temporary files, and the run-directory lock file.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "io/atomic_file.h"
#include "io/test_temp_dir.h"
#include "tensor/error.h"
#include "train/data_fingerprint.h"
#include "train/memory_estimate.h"
#include "train/model_factory.h"
#include "train/run_directory.h"

namespace fs = std::filesystem;
using namespace qkv;
using namespace qkv::train;
using Catch::Contains;

namespace {

// Writes `text` into `name` in `dir`; returns its path.
std::string written(const test::TempDir& dir, const std::string& name, const std::string& text) {
  test::write_bytes(dir.file(name), text);
  return dir.file(name);
}

// A pid that no process has: a child that has exited and been reaped.
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

TrainOptions sized(Arch arch, int64_t vocab) {
  TrainOptions o;
  o.arch = arch;
  o.model.source_vocab = o.rnn.source_vocab = vocab;
  o.model.target_vocab = o.rnn.target_vocab = vocab + 7;
  return o;
}

struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  const char* name_;
};

}  // namespace

TEST_CASE("memory estimate: the closed-form parameter count matches the models built", "[train][robust]") {
  for (const Arch arch : {Arch::transformer, Arch::rnn}) {
    for (const bool variant : {false, true}) {
      TrainOptions o = sized(arch, 500);
      if (variant) {
        o.model.tie_output = false;
        o.model.learned_positions = true;
        o.model.pre_norm = true;
        o.rnn.cell = models::RnnCell::lstm;
        o.rnn.tie_output = false;
        o.rnn.encoder_layers = 2;
      }
      const int64_t actual = make_model(o)->parameter_count();
      const int64_t estimated = estimate_training_memory(o).parameters;
      INFO(enum_name(arch) << (variant ? " (variant)" : "") << ": actual " << actual << ", estimated " << estimated);
      CHECK(std::abs(static_cast<double>(estimated - actual)) <= 0.05 * static_cast<double>(actual));
    }
  }
}

TEST_CASE("memory estimate: a run that cannot fit is refused with both numbers", "[train][robust]") {
  TrainOptions o = sized(Arch::transformer, 10000);
  const MemoryEstimate e = estimate_training_memory(o);
  CHECK(e.parameter_bytes == 4.0 * 4.0 * static_cast<double>(e.parameters));
  CHECK(e.activation_bytes > 0);
  {
    ScopedEnv small("QKV_MEMORY_AVAILABLE_BYTES", "1048576");
    CHECK(available_memory_bytes() == 1048576.0);
    CHECK_THROWS_WITH(check_fits_in_memory(o), Contains("this machine has 1 MiB available") &&
                                                   Contains(fmt::format("({} parameters", e.parameters)) &&
                                                   Contains("--max-tokens 2048"));
  }
  {
    ScopedEnv large("QKV_MEMORY_AVAILABLE_BYTES", "1e15");
    CHECK_NOTHROW(check_fits_in_memory(o));
  }
  ScopedEnv garbage("QKV_MEMORY_AVAILABLE_BYTES", "lots");
  CHECK_THROWS_WITH(available_memory_bytes(), Contains("QKV_MEMORY_AVAILABLE_BYTES") && Contains("lots"));
}

TEST_CASE("data fingerprints: a changed file is named, unless the change is allowed", "[train][robust]") {
  test::TempDir dir;
  TrainOptions o;
  o.train_tsv = written(dir, "train.tsv", "a b\tc d\n");
  o.valid_source = written(dir, "valid.en", "a\n");
  o.valid_target = written(dir, "valid.de", "b\n");
  const DataFingerprints saved = fingerprint_data(o);
  CHECK(saved.size() == 3);
  CHECK(saved.at("train_tsv") == "8 bytes, fnv1a64 " + fingerprint_file(o.train_tsv).substr(17));
  CHECK(check_resumed_data("ck", o, saved, fingerprint_data(o), false).empty());
  written(dir, "valid.de", "c\n");  // same size, other bytes
  const DataFingerprints now = fingerprint_data(o);
  CHECK_THROWS_WITH(check_resumed_data("ck", o, saved, now, false),
                    Contains("--valid-target '" + o.valid_target + "' is now 2 bytes") &&
                        Contains("--allow-data-change") && !Contains("--train-tsv"));
  CHECK_THAT(check_resumed_data("ck", o, saved, now, true), Contains("continuing on changed data"));
  CHECK_THAT(check_resumed_data("ck", o, {}, now, false), Contains("records no fingerprint"));
  CHECK_THROWS_WITH(fingerprint_file(dir.file("missing")), Contains("missing") && Contains("cannot open"));
}

TEST_CASE("orphaned temporary files of dead processes are removed, nothing else", "[train][robust]") {
  test::TempDir dir;
  const pid_t dead = dead_pid();
  const std::string orphan = fmt::format(".last.safetensors.tmp-{}-0", dead);
  const std::string ours = fmt::format(".last.safetensors.tmp-{}-1", ::getpid());
  written(dir, orphan, "12345");
  written(dir, ours, "1");
  written(dir, "last.safetensors", "keep");
  written(dir, fmt::format("last.safetensors.tmp-{}-0", dead), "no leading dot: not AtomicFile's");
  const std::vector<RemovedFile> removed = remove_orphaned_temp_files(dir.path());
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].name == orphan);
  CHECK(removed[0].bytes == 5);
  CHECK(!fs::exists(fs::path(dir.path()) / orphan));
  CHECK(fs::exists(fs::path(dir.path()) / ours));
  CHECK(fs::exists(fs::path(dir.path()) / "last.safetensors"));
  CHECK(remove_orphaned_temp_files(dir.file("absent")).empty());
}

TEST_CASE("the run directory lock leaves no file, and no directory it created, behind", "[train][robust]") {
  test::TempDir dir;
  const fs::path run = fs::path(dir.path()) / "a" / "b";
  { const RunDirectoryLock lock(run.string()); }
  CHECK(!fs::exists(fs::path(dir.path()) / "a"));  // created by the lock, empty: removed
  fs::create_directories(run);
  std::ofstream(run / ".lock") << dead_pid() << "\n";  // a stale lock, as a kill -9 leaves it
  {
    const RunDirectoryLock lock(run.string());
    CHECK_THROWS_WITH(RunDirectoryLock(run.string()), Contains("in use by another qkv train"));
    std::ofstream(run / "train.log") << "x";
  }
  CHECK(!fs::exists(run / ".lock"));
  CHECK(fs::exists(run / "train.log"));  // the directory existed, and holds a file: kept
}
