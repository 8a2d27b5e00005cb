// pool_stress.cpp — qkv's thread pool (tensor/parallel.cpp) under ThreadSanitizer.
//
// The pool hands out jobs and reports their end with atomics, and takes its mutex only to
// sleep, to wake a sleeper, or to record an exception (see the handshake described in
// parallel.cpp). This program drives every one of those paths — thousands of short jobs while
// the workers spin, jobs after pauses long enough for them to fall asleep, bodies that throw,
// a change of thread count, and two threads calling parallel_for at once — and checks every
// result. Built with -fsanitize=thread by tests/CMakeLists.txt; TSan reports any data race
// and fails the run.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tensor/parallel.h"

using namespace qkv;

int main() {
  set_num_threads(2);
  const std::thread::id caller_id = std::this_thread::get_id();
  std::atomic<long> pieces_on_workers{0};  // the test means nothing unless workers take pieces
  std::vector<long> data(100000);
  long wrong = 0;
  for (int round = 0; round < 3000; ++round) {
    const long n = 1 + (round * 7919L) % 100000;
    parallel_for(n, 64, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) data[static_cast<size_t>(i)] = round + i;
      if (std::this_thread::get_id() != caller_id) ++pieces_on_workers;
    });
    for (long i = 0; i < n; ++i) wrong += data[static_cast<size_t>(i)] != round + i;
    if (round % 500 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));  // workers fall asleep
    if (round % 97 == 0) {
      try {
        parallel_for(1000, 10, [](int64_t begin, int64_t) {
          if (begin >= 500) throw std::runtime_error("a piece failed");
        });
        ++wrong;  // the exception must reach the caller
      } catch (const std::runtime_error&) {
      }
    }
    if (round == 1500) set_num_threads(3);  // the pool restarts its workers
  }
  // Two callers at once: one runs on the pool, the other serially; both finish every piece.
  std::atomic<long> covered{0};
  auto caller = [&] {
    for (int r = 0; r < 500; ++r) parallel_for(4096, 16, [&](int64_t begin, int64_t end) { covered += end - begin; });
  };
  std::thread other(caller);
  caller();
  other.join();
  wrong += covered.load() != 2L * 500 * 4096;
  std::printf("pool_stress: %ld wrong results; %ld pieces ran on pool workers\n", wrong, pieces_on_workers.load());
  return wrong == 0 && pieces_on_workers.load() > 0 ? 0 : 1;
}
