// parallel.cpp — the persistent worker pool behind parallel_for.
//
// The pool starts num_threads() - 1 workers on the first parallel_for that needs them. Between
// jobs they sleep on a condition variable (no spinning, so idle workers never take cores from
// OpenBLAS). A job is one parallel_for call: [0, n) is cut into `parts` contiguous pieces, the
// caller runs piece 0 and worker i runs piece i + 1. The pool is a function-local static, so its
// destructor stops and joins the workers at exit.
#include "tensor/parallel.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "tensor/error.h"

namespace qkv {
namespace {

using Body = std::function<void(int64_t, int64_t)>;

// True while this thread runs a parallel_for body (always true on pool workers): nested
// parallel_for calls then run serially.
thread_local bool t_in_parallel = false;

// QKV_NUM_THREADS if it is a positive integer, else the number of hardware threads.
int default_num_threads() {
  const char* env = std::getenv("QKV_NUM_THREADS");
  if (env != nullptr && *env != '\0') {
    int n = 0;
    const char* end = env + std::strlen(env);
    const auto [ptr, ec] = std::from_chars(env, end, n);
    if (ec == std::errc() && ptr == end && n >= 1) return n;
    fmt::print(stderr, "qkv: ignoring QKV_NUM_THREADS={} (expected a positive integer)\n", env);
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::atomic<int>& requested_threads() {
  static std::atomic<int> n{default_num_threads()};
  return n;
}

// Piece `piece` of [0, n) cut into `parts` nearly equal contiguous ranges.
std::pair<int64_t, int64_t> piece_range(int64_t n, int64_t parts, int64_t piece) {
  const int64_t base = n / parts;
  const int64_t extra = n % parts;  // the first `extra` pieces get one more index
  const int64_t begin = piece * base + std::min(piece, extra);
  return {begin, begin + base + (piece < extra ? 1 : 0)};
}

class Pool {
 public:
  Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() { stop_workers(); }

  // Runs body on `parts` pieces of [0, n) (parts <= num_threads()) and rethrows the first
  // exception any piece threw. If another thread is using the pool, runs serially instead.
  void run(int64_t n, int parts, const Body& body) {
    std::unique_lock<std::mutex> job_lock(job_mutex_, std::try_to_lock);
    if (!job_lock.owns_lock()) {
      body(0, n);
      return;
    }
    resize(requested_threads().load() - 1);
    parts = std::min(parts, static_cast<int>(workers_.size()) + 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      body_ = &body;
      n_ = n;
      parts_ = parts;
      pending_ = parts - 1;
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    run_piece(0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    body_ = nullptr;
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  // Makes the pool have exactly `count` workers (called only by the thread holding job_mutex_).
  void resize(int count) {
    if (static_cast<int>(workers_.size()) == count) return;
    stop_workers();
    uint64_t generation = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation = generation_;
    }
    for (int i = 0; i < count; ++i) {
      workers_.emplace_back([this, i, generation] { worker_loop(i, generation); });
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& w : workers_) w.join();
    workers_.clear();
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = false;
  }

  // Worker `index` runs piece index + 1 of every job that has that many pieces.
  void worker_loop(int index, uint64_t seen) {
    t_in_parallel = true;
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      const int piece = index + 1;
      if (piece >= parts_) continue;
      lock.unlock();
      run_piece(piece);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  // Runs one piece of the current job, keeping the first exception for the caller.
  void run_piece(int piece) noexcept {
    const bool was_in_parallel = t_in_parallel;
    t_in_parallel = true;
    try {
      const auto [begin, end] = piece_range(n_, parts_, piece);
      (*body_)(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    t_in_parallel = was_in_parallel;
  }

  std::mutex job_mutex_;  // held by the thread whose job the pool runs
  std::vector<std::thread> workers_;

  std::mutex mutex_;  // guards everything below
  std::condition_variable wake_;  // workers wait here for a new job (or stop)
  std::condition_variable done_;  // the caller waits here for the workers' pieces
  uint64_t generation_ = 0;       // counts jobs; a change tells workers to look
  bool stopping_ = false;
  const Body* body_ = nullptr;  // the current job; workers read it after being woken
  int64_t n_ = 0;
  int parts_ = 0;
  int pending_ = 0;  // worker pieces of the current job not yet finished
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool instance;
  return instance;
}

}  // namespace

int num_threads() { return requested_threads().load(); }

void set_num_threads(int n) {
  check(n >= 1, "set_num_threads: needs at least 1 thread, got {}", n);
  requested_threads().store(n);
}

bool in_parallel_region() { return t_in_parallel; }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
  if (n <= 0) return;
  const int64_t parts = std::min<int64_t>(num_threads(), n / std::max<int64_t>(grain, 1));
  if (parts <= 1 || t_in_parallel) {
    body(0, n);
    return;
  }
  pool().run(n, static_cast<int>(parts), body);
}

}  // namespace qkv
