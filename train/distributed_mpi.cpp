// distributed_mpi.cpp — Distributed over MPI (compiled only when CMake found MPI; see
// distributed.h). Gradient sums are MPI_Iallreduce calls that backward starts bucket by bucket;
// the few scalars per step go through one MPI_Allreduce; rank 0's validation results reach the
// others through MPI_Ibcast, which they wait on with short sleeps instead of MPI's busy polling;
// training data moves between ranks through MPI_Ialltoallv (exchange).
#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "tensor/error.h"
#include "tensor/parallel.h"
#include "train/distributed.h"

namespace qkv::train {
namespace {

bool started_by_a_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

MPI_Datatype mpi_type(Dtype dtype) {
  check(dtype == Dtype::float32 || dtype == Dtype::float64,
        "distributed sum: only float32 and float64 gradients can be summed, got {}", dtype);
  return dtype == Dtype::float32 ? MPI_FLOAT : MPI_DOUBLE;
}

void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(fmt::format("{}{} failed: {}", rank_prefix(), call, std::string(text, static_cast<size_t>(length))));
}

// Waits for `request` with 1 ms sleeps between tests (after testing without a pause for `spin`):
// MPI's own wait spins a core at 100%.
void wait_asleep(MPI_Request& request, const char* call,
                 std::chrono::microseconds spin = std::chrono::microseconds::zero()) {
  const auto start = std::chrono::steady_clock::now();
  int done = 0;
  while (true) {
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), call);
    if (done) return;
    if (std::chrono::steady_clock::now() - start >= spin) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// MPI counts elements in int.
int checked_int(size_t n, const char* what) {
  check(n <= static_cast<size_t>(INT32_MAX), "exchange: {} {} (MPI counts at most 2^31 - 1)", n, what);
  return static_cast<int>(n);
}

class Mpi final : public Distributed {
 public:
  Mpi() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    // Errors come back as codes (check_mpi names the call) instead of MPI's default abort.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &local_size_);
    MPI_Comm_free(&local);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_size() const override { return local_size_; }

  void start_sum(void* data, int64_t count, Dtype dtype) override {
    check(count > 0 && count <= INT32_MAX, "distributed sum: a bucket of {} values (1 to 2^31 - 1 allowed)", count);
    MPI_Request& request = requests_.emplace_back();
    check_mpi(
        MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(count), mpi_type(dtype), MPI_SUM, MPI_COMM_WORLD, &request),
        "MPI_Iallreduce");
  }
  void progress() override {
    if (requests_.empty()) return;
    int done = 0;
    check_mpi(MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done, MPI_STATUSES_IGNORE),
              "MPI_Testall");
  }
  void wait_all() override {
    check_mpi(MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
    requests_.clear();
  }
  void sum(std::span<double> values) override {
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM,
                            MPI_COMM_WORLD),
              "MPI_Allreduce");
  }
  void broadcast_from_root(std::span<double> values) override {
    MPI_Request request;
    check_mpi(MPI_Ibcast(values.data(), static_cast<int>(values.size()), MPI_DOUBLE, 0, MPI_COMM_WORLD, &request),
              "MPI_Ibcast");
    wait_asleep(request, "MPI_Ibcast");
  }
  std::vector<std::vector<int64_t>> exchange(const std::vector<std::vector<int64_t>>& to_each) override {
    check(to_each.size() == static_cast<size_t>(size_), "exchange: {} lists for {} ranks", to_each.size(), size_);
    std::vector<int> send_counts(to_each.size()), send_offsets(to_each.size());
    std::vector<int> receive_counts(to_each.size()), receive_offsets(to_each.size());
    std::vector<int64_t> send;
    for (size_t q = 0; q < to_each.size(); ++q) {
      send_offsets[q] = checked_int(send.size(), "values sent");
      send_counts[q] = checked_int(to_each[q].size(), "values sent to one rank");
      send.insert(send.end(), to_each[q].begin(), to_each[q].end());
    }
    checked_int(send.size(), "values sent");
    // A step's exchange is over in microseconds; loading's may wait for a slower rank, asleep.
    const auto spin = std::chrono::milliseconds(20);
    MPI_Request request;
    check_mpi(
        MPI_Ialltoall(send_counts.data(), 1, MPI_INT, receive_counts.data(), 1, MPI_INT, MPI_COMM_WORLD, &request),
        "MPI_Ialltoall");
    wait_asleep(request, "MPI_Ialltoall", spin);
    size_t total = 0;
    for (size_t q = 0; q < to_each.size(); ++q) {
      receive_offsets[q] = checked_int(total, "values received");
      total += static_cast<size_t>(receive_counts[q]);
    }
    checked_int(total, "values received");
    std::vector<int64_t> receive(total);
    check_mpi(MPI_Ialltoallv(send.data(), send_counts.data(), send_offsets.data(), MPI_INT64_T, receive.data(),
                             receive_counts.data(), receive_offsets.data(), MPI_INT64_T, MPI_COMM_WORLD, &request),
              "MPI_Ialltoallv");
    wait_asleep(request, "MPI_Ialltoallv", spin);
    std::vector<std::vector<int64_t>> from_each(to_each.size());
    for (size_t q = 0; q < to_each.size(); ++q) {
      const auto first = receive.begin() + receive_offsets[q];
      from_each[q].assign(first, first + receive_counts[q]);
    }
    return from_each;
  }
  [[noreturn]] void abort(int exit_code) override {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::exit(exit_code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
  }

 private:
  int rank_ = 0, size_ = 1, local_size_ = 1;
  std::vector<MPI_Request> requests_;
};

}  // namespace

bool built_with_mpi() { return true; }

std::unique_ptr<Distributed> start_mpi(int& argc, char**& argv) {
  if (!started_by_a_launcher()) return nullptr;
  int provided = 0;
  // FUNNELED: only the main thread calls MPI; qkv's pool threads never do.
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  auto mpi = std::make_unique<Mpi>();
  if (std::getenv("QKV_NUM_THREADS") == nullptr) {
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    set_num_threads(std::max(1, cores / mpi->local_size()));
  }
  return mpi;
}

void stop_mpi() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Finalize();
}

}  // namespace qkv::train
