// run_directory_test.cpp — a run directory is refused while it holds a run (untouched), cleared
// with overwrite, and locked by one run at a time; and the time a run has left is the nearest of
// its limits.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "train/run_directory.h"
#include "train/time_left.h"

namespace fs = std::filesystem;
using namespace qkv;

namespace {

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct RunDir {
  fs::path path = fs::temp_directory_path() / ("qkv-run-dir-" + std::to_string(::getpid()));
  RunDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~RunDir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path / name) << text; }
};

}  // namespace

TEST_CASE("run directory: a directory holding a run is refused, untouched, unless overwritten", "[train]") {
  RunDir dir;
  const std::string d = dir.path.string();
  train::refuse_existing_run(d);  // empty: fine
  train::refuse_existing_run(d + "/missing");
  dir.write("notes.txt", "mine");
  train::refuse_existing_run(d);  // other files are not a run
  dir.write("metrics.jsonl", "{\"kind\":\"train\"}\n");
  dir.write("epoch-003.safetensors", "weights");
  CHECK(train::run_files_in(d) == std::vector<std::string>{"epoch-003.safetensors", "metrics.jsonl"});
  CHECK_THROWS_WITH(train::refuse_existing_run(d),
                    Catch::Contains("already holds a run (epoch-003.safetensors, metrics.jsonl)") &&
                        Catch::Contains("--resume " + d + "/last.safetensors") && Catch::Contains("--overwrite"));
  CHECK(read_all(dir.path / "metrics.jsonl") == "{\"kind\":\"train\"}\n");
  CHECK_FALSE(fs::exists(dir.path / ".lock"));  // refusing takes no lock and creates nothing
  {
    const train::RunDirectoryLock lock(d);
    CHECK_THROWS_WITH(train::prepare_run_directory(lock, d, false), Catch::Contains("already holds a run"));
    train::prepare_run_directory(lock, d, true);
  }
  CHECK(train::run_files_in(d).empty());
  CHECK(read_all(dir.path / "notes.txt") == "mine");  // only the run's own files go
}

TEST_CASE("run directory: one run at a time holds the lock, and a second one is told whose it is", "[train]") {
  RunDir dir;
  const std::string d = dir.path.string();
  {
    const train::RunDirectoryLock first(d);
    CHECK(read_all(dir.path / ".lock") == std::to_string(::getpid()) + "\n");
    const std::string in_use = "'" + d + "' is in use by another qkv train (pid " + std::to_string(::getpid()) + ")";
    CHECK_THROWS_WITH(train::RunDirectoryLock(d), Catch::Contains(in_use));
    dir.write("last.safetensors", "weights");
    CHECK_THROWS_WITH(train::refuse_existing_run(d), Catch::Contains(in_use));  // not "--resume" while it runs
  }
  const train::RunDirectoryLock again(d);  // released with the first
}

TEST_CASE("time left: the nearest of a run's epochs, step limit and time limit", "[train]") {
  train::TrainOptions o;
  o.epochs = 3;
  train::TrainingState s;
  s.epoch = 1;  // the second epoch, 4 of its 10 batches done
  s.batch_in_epoch = 4;
  s.step = 14;
  s.train_seconds = 140;
  CHECK(train::run_seconds_left(o, s, 10, 2.0) == Approx(2.0 * (6 + 10)));  // by epochs: 16 steps
  o.max_steps = 20;
  CHECK(train::run_seconds_left(o, s, 10, 2.0) == Approx(2.0 * 6));  // 6 steps to the step limit
  o.max_minutes = 2.5;
  CHECK(train::run_seconds_left(o, s, 10, 2.0) == Approx(10));  // 150 s − 140 s
  s.train_seconds = 200;
  CHECK(train::run_seconds_left(o, s, 10, 2.0) == 0);
}
