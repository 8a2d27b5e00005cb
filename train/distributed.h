// distributed.h — the processes of a data-parallel run, behind one small interface.
//
//   mpirun -np 2 qkv train ...          two ranks, each with half of every global batch
//   qkv train ...                       one process: the same interface, doing nothing
//
// The trainer sees only this: its rank and the number of ranks, sums over all ranks (the
// gradients, started while backward still runs, and a few scalars per step), a broadcast from
// rank 0 (what only rank 0 computes: validation results), an exchange of integer lists between
// every pair of ranks (training data: rank_corpus.h) and abort. Two implementations: one
// process (distributed.cpp; every sum is the value itself) and MPI (distributed_mpi.cpp,
// compiled only when CMake found MPI, chosen only when mpirun started the process). What is
// not here: which examples a rank trains on (train/shard.h) and how gradients are bucketed
// (train/gradient_buckets.h).
//
// Every collective (start_sum, sum, broadcast_from_root, exchange) must be called in the same order on
// every rank, as MPI requires; the callers keep that order fixed.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tensor/dtype.h"

namespace qkv::train {

class Distributed {
 public:
  virtual ~Distributed() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool is_root() const { return rank() == 0; }
  // Ranks on this machine (they share its cores).
  virtual int local_size() const = 0;

  // Starts summing `count` values of `dtype` (float32 or float64) at `data` over all ranks, in
  // place; the data must stay untouched until wait_all(). Returns at once.
  virtual void start_sum(void* data, int64_t count, Dtype dtype) = 0;
  // Lets started sums advance (MPI moves data only inside MPI calls); never blocks.
  virtual void progress() = 0;
  // Waits for every started sum.
  virtual void wait_all() = 0;

  // Sums `values` over all ranks, in place (blocking).
  virtual void sum(std::span<double> values) = 0;
  // Rank 0's `values` to every rank. The others wait asleep, not spinning, so a long validation
  // on rank 0 keeps the cores it shares with them.
  virtual void broadcast_from_root(std::span<double> values) = 0;

  // Sends to_each[q] to rank q (to_each has size() lists, any lengths) and returns what every
  // rank sent this one: from_each[q] came from rank q. Blocking; every rank calls it. How a
  // rank gets the ids of its share of a batch from the ranks that own them (rank_corpus.h).
  virtual std::vector<std::vector<int64_t>> exchange(const std::vector<std::vector<int64_t>>& to_each) = 0;
  // Ends every rank of the job with `exit_code` (after the caller printed why).
  [[noreturn]] virtual void abort(int exit_code) = 0;
};

// The process's Distributed: MPI's inside a DistributedSession started by mpirun, else a
// single process.
Distributed& distributed();

// "" for a single process, else "rank R of N: " (a prefix for messages).
std::string rank_prefix();

// main()'s guard of MPI's lifetime. When qkv was built with MPI and mpirun (or another launcher
// setting OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK) started the process, it initialises MPI
// and divides the cores among the ranks on each machine (qkv's threads = cores / local ranks,
// at least 1, unless QKV_NUM_THREADS is set; --threads still wins); the destructor finalises
// MPI. Otherwise it does nothing: a plain `qkv` run never touches MPI.
class DistributedSession {
 public:
  DistributedSession(int& argc, char**& argv);
  ~DistributedSession();
  DistributedSession(const DistributedSession&) = delete;
  DistributedSession& operator=(const DistributedSession&) = delete;
};

// Whether this qkv was built with MPI (CMake found it).
bool built_with_mpi();

// For distributed.cpp: MPI's Distributed if mpirun started the process, else null.
std::unique_ptr<Distributed> start_mpi(int& argc, char**& argv);
void stop_mpi();

}  // namespace qkv::train
