// run_directory.h — a run's output directory as something one run owns at a time.
//
//   if (!overwrite) refuse_existing_run(dir);       // a run is there: refuse, touching nothing
//   RunDirectoryLock lock(dir);                     // held until the run ends, error or not
//   prepare_run_directory(lock, dir, overwrite);    // refuse again, or remove the old run's files
//
// A directory "holds a run" when it has any of the files a run writes: last.safetensors,
// best.safetensors, epoch-NNN.safetensors or metrics.jsonl. Starting a new run there would
// replace them, so qkv train refuses unless --overwrite is given, and names --resume as the way
// to continue. The lock is an flock on DIR/.lock (which holds the owner's pid): the kernel
// releases it when the process ends, however it ends, so a .lock file left by a killed run is
// stale by construction (nobody holds its flock) and the next run simply takes it. Every exit
// path that destroys the lock (a finished run, an error, a refusal) removes DIR/.lock, and the
// directory too when the lock created it and nothing else was written there, so a refused run
// leaves no trace. Removing the file is safe against a second run that opened it a moment
// before: a lock taker checks, after its flock, that the path still names the file it locked,
// and starts over if not.
// What this does not do: lock across machines sharing the directory over NFS.
#pragma once

#include <string>
#include <vector>

namespace qkv::train {

// The files of a run found in `dir` (names relative to it; empty if none or no directory).
std::vector<std::string> run_files_in(const std::string& dir);

// Exclusive ownership of a run directory (created if missing) for the object's lifetime.
class RunDirectoryLock {
 public:
  // Throws qkv::Error naming the directory and the pid of the run that holds it.
  explicit RunDirectoryLock(const std::string& dir);
  ~RunDirectoryLock();
  RunDirectoryLock(const RunDirectoryLock&) = delete;
  RunDirectoryLock& operator=(const RunDirectoryLock&) = delete;

 private:
  std::string dir_;
  std::vector<std::string> created_;  // the directories this lock created, deepest first
  int fd_ = -1;
};

// Throws qkv::Error if `dir` holds a run, naming its files and the `--resume
// DIR/last.safetensors` that continues it, or, if a live run holds the directory's lock, that
// run's pid. Touches nothing (it does not take the lock).
void refuse_existing_run(const std::string& dir);

// Under the lock: the same refusal (a run may have ended there since the check), or with
// `overwrite` the old run's files removed, so none of them is mistaken for the new run's.
void prepare_run_directory(const RunDirectoryLock& held, const std::string& dir, bool overwrite);

}  // namespace qkv::train
