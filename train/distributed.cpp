// distributed.cpp — the single-process Distributed and the session that picks MPI's when
// mpirun started the process (see distributed.h).
#include "train/distributed.h"

#include <cstdlib>

#include <fmt/format.h>

#include "tensor/error.h"

namespace qkv::train {
namespace {

// One process: every sum over "all ranks" is the value itself, and there is nothing to wait for.
class SingleProcess final : public Distributed {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_size() const override { return 1; }
  void start_sum(void*, int64_t, Dtype) override {}
  void progress() override {}
  void wait_all() override {}
  void sum(std::span<double>) override {}
  void broadcast_from_root(std::span<double>) override {}
  std::vector<std::vector<int64_t>> exchange(const std::vector<std::vector<int64_t>>& to_each) override {
    check(to_each.size() == 1, "exchange: {} lists for 1 rank", to_each.size());
    return to_each;
  }
  [[noreturn]] void abort(int exit_code) override { std::exit(exit_code); }
};

std::unique_ptr<Distributed>& current() {
  static std::unique_ptr<Distributed> instance = std::make_unique<SingleProcess>();
  return instance;
}

}  // namespace

Distributed& distributed() { return *current(); }

std::string rank_prefix() {
  const Distributed& d = distributed();
  return d.size() > 1 ? fmt::format("rank {} of {}: ", d.rank(), d.size()) : std::string();
}

DistributedSession::DistributedSession(int& argc, char**& argv) {
  if (auto mpi = start_mpi(argc, argv)) current() = std::move(mpi);
}

DistributedSession::~DistributedSession() {
  if (current()->size() > 1 || built_with_mpi()) {
    current() = std::make_unique<SingleProcess>();
    stop_mpi();
  }
}

#ifndef QKV_HAVE_MPI
bool built_with_mpi() { return false; }
std::unique_ptr<Distributed> start_mpi(int&, char**&) { return nullptr; }
void stop_mpi() {}
#endif

}  // namespace qkv::train
