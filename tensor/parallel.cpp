// parallel.cpp — the persistent worker pool behind parallel_for.
//
// The pool starts num_threads() - 1 workers on the first parallel_for that needs them. A job
// is one parallel_for call: [0, n) is cut into up to 4 pieces per thread, which the caller and
// the workers claim one at a time until none is left, so a thread the system has descheduled
// (on a busy machine) delays nobody. Between jobs the workers spin for a short while, then
// sleep on a condition variable. (OpenBLAS has no threads of its own to compete with:
// tensor/blas.h keeps it single-threaded.) The pool is a function-local static, so its
// destructor stops and joins the workers at exit.
#include "tensor/parallel.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
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

// The CPU's spin-wait hint: lets the other hyperthread run and saves power while spinning.
inline void pause_cpu() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Piece `piece` of [0, n) cut into `parts` nearly equal contiguous ranges.
std::pair<int64_t, int64_t> piece_range(int64_t n, int64_t parts, int64_t piece) {
  const int64_t base = n / parts;
  const int64_t extra = n % parts;  // the first `extra` pieces get one more index
  const int64_t begin = piece * base + std::min(piece, extra);
  return {begin, begin + base + (piece < extra ? 1 : 0)};
}

// Busy-waits (with the CPU's pause hint) until ready() or about `micros` microseconds pass;
// returns ready().
template <class Ready>
bool spin_until(const Ready& ready, int64_t micros) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(micros);
  while (!ready()) {
    for (int i = 0; i < 64; ++i) pause_cpu();
    if (std::chrono::steady_clock::now() >= deadline) return ready();
  }
  return true;
}

// A job's claim ticket: which job (generation), how many pieces it has, and the next piece
// nobody has claimed yet, packed in one 64-bit word so a single compare-and-swap claims a
// piece of exactly the job it looked at.
struct Ticket {
  uint64_t generation;
  uint64_t parts;
  uint64_t next;

  static Ticket unpack(uint64_t word) { return {word >> 32, (word >> 16) & 0xffff, word & 0xffff}; }
  uint64_t pack() const { return generation << 32 | parts << 16 | next; }
};
constexpr int kMaxParts = 0xffff;

class Pool {
 public:
  Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() { stop_workers(); }

  // Runs body on `parts` pieces of [0, n) and rethrows the first exception any piece threw.
  // If another thread is using the pool, runs serially instead.
  void run(int64_t n, int parts, const Body& body) {
    std::unique_lock<std::mutex> job_lock(job_mutex_, std::try_to_lock);
    if (!job_lock.owns_lock()) {
      body(0, n);
      return;
    }
    resize(requested_threads().load() - 1);
    parts = std::min(parts, kMaxParts);
    body_ = &body;
    n_ = n;
    finished_.store(0);
    generation_ = (generation_ + 1) & 0xffffffff;
    // Spinning workers see the new ticket at once. Sleeping ones are woken, and only then is
    // the mutex taken: a worker counts itself in sleepers_ before it checks the ticket one last
    // time, and the ticket is stored before sleepers_ is read, so one of the two sees the other.
    ticket_.store(Ticket{generation_, static_cast<uint64_t>(parts), 0}.pack());
    if (sleepers_.load() > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_all();
    }
    claim_and_run(generation_);
    if (!spin_until([&] { return finished_.load() == parts; }, kSpinMicros)) {
      std::unique_lock<std::mutex> lock(mutex_);
      caller_sleeping_.store(true);  // the same handshake with the thread finishing the last piece
      done_.wait(lock, [&] { return finished_.load() == parts; });
      caller_sleeping_.store(false);
    }
    body_ = nullptr;
    if (failed_.load()) {
      std::lock_guard<std::mutex> lock(mutex_);
      failed_.store(false);
      std::rethrow_exception(std::exchange(error_, nullptr));
    }
  }

 private:
  // Makes the pool have exactly `count` workers (called only by the thread holding job_mutex_).
  void resize(int count) {
    if (static_cast<int>(workers_.size()) == count) return;
    stop_workers();
    // The generation before the next job is published: a worker that starts late must still
    // see that job as new.
    const uint64_t seen = Ticket::unpack(ticket_.load()).generation;
    for (int i = 0; i < count; ++i) {
      workers_.emplace_back([this, seen] { worker_loop(seen); });
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_.store(true);
    }
    wake_.notify_all();
    for (std::thread& w : workers_) w.join();
    workers_.clear();
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(false);
  }

  // Claims and runs pieces of job `generation` until none is left (or a newer job replaced it).
  // Pieces are claimed, not assigned: a thread the system has not scheduled yet takes no piece,
  // and the others run its share instead of waiting for it.
  void claim_and_run(uint64_t generation) {
    uint64_t word = ticket_.load();
    while (true) {
      Ticket t = Ticket::unpack(word);
      if (t.generation != generation || t.next >= t.parts) return;
      const uint64_t piece = t.next;
      ++t.next;
      if (!ticket_.compare_exchange_weak(word, t.pack())) continue;  // word now holds the fresh value
      run_piece(static_cast<int64_t>(piece), static_cast<int64_t>(t.parts));
      if (finished_.fetch_add(1) + 1 == static_cast<int>(t.parts) && caller_sleeping_.load()) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_one();
      }
      word = ticket_.load();
    }
  }

  // Between jobs a worker spins for kSpinMicros (the next parallel op usually follows within
  // microseconds, and waking a sleeping thread takes tens of them), then sleeps.
  void worker_loop(uint64_t seen) {
    t_in_parallel = true;
    while (true) {
      auto news = [&] { return stopping_.load() || Ticket::unpack(ticket_.load()).generation != seen; };
      if (!spin_until(news, kSpinMicros)) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1);  // before the last look at the ticket (see run)
        wake_.wait(lock, news);
        sleepers_.fetch_sub(1);
      }
      if (stopping_.load()) return;
      seen = Ticket::unpack(ticket_.load()).generation;
      claim_and_run(seen);
    }
  }

  // Runs one piece of the current job, keeping the first exception for the caller.
  void run_piece(int64_t piece, int64_t parts) noexcept {
    const bool was_in_parallel = t_in_parallel;
    t_in_parallel = true;
    try {
      const auto [begin, end] = piece_range(n_, parts, piece);
      (*body_)(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      failed_.store(true);
    }
    t_in_parallel = was_in_parallel;
  }

  // How long a thread spins before it sleeps: the pool's workers between jobs, and the caller
  // waiting for the last pieces.
  static constexpr int64_t kSpinMicros = 200;

  std::mutex job_mutex_;  // held by the thread whose job the pool runs
  std::vector<std::thread> workers_;

  // A job is published by writing body_ and n_, then a new ticket. body_ and n_ are read only
  // by a thread that has claimed a piece of the job, and the caller returns only when every
  // piece has finished, so they are never read stale. The mutex is taken only to sleep, to wake
  // a sleeper, and to record an exception: while threads spin, a job costs a few atomics.
  std::mutex mutex_;
  std::condition_variable wake_;  // sleeping workers wait here for a new job (or stop)
  std::condition_variable done_;  // a sleeping caller waits here for the last pieces
  std::atomic<uint64_t> ticket_{0};
  std::atomic<int> finished_{0};  // pieces of the current job that have finished
  std::atomic<bool> stopping_{false};
  std::atomic<int> sleepers_{0};              // workers asleep (or about to be) on wake_
  std::atomic<bool> caller_sleeping_{false};  // the caller is asleep (or about to be) on done_
  std::atomic<bool> failed_{false};           // a piece threw: error_ holds the first exception
  uint64_t generation_ = 0;                   // the current job's number (only the caller writes it)
  const Body* body_ = nullptr;
  int64_t n_ = 0;
  std::exception_ptr error_;  // guarded by mutex_ (set when failed_)
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
  const int64_t threads = num_threads();
  // Up to 4 pieces per thread, so a thread that starts late or is slowed down leaves its share
  // to the others; never pieces smaller than the grain.
  const int64_t parts = std::min<int64_t>(4 * threads, n / std::max<int64_t>(grain, 1));
  if (threads <= 1 || parts <= 1 || t_in_parallel) {
    body(0, n);
    return;
  }
  pool().run(n, static_cast<int>(parts), body);
}

}  // namespace qkv
