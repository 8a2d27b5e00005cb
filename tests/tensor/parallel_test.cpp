// parallel_test.cpp — parallel_for: covers every index exactly once in contiguous ranges, shares
// pieces between the caller and the workers, rethrows exceptions, runs nested calls serially,
// honours the thread count and works when several threads call it at once.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "tensor/parallel.h"

using namespace qkv;
using Catch::Contains;

namespace {

// Sets qkv's thread count for one scope.
class ThreadCount {
 public:
  explicit ThreadCount(int n) : saved_(num_threads()) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(saved_); }

 private:
  int saved_;
};

struct Calls {
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> ranges;
  std::vector<std::thread::id> threads;
};

// Runs parallel_for(n, grain) recording each range and counting visits of each index.
std::vector<int> visit(int64_t n, int64_t grain, Calls& calls) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  parallel_for(n, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
    std::lock_guard<std::mutex> lock(calls.mutex);
    calls.ranges.emplace_back(begin, end);
    calls.threads.push_back(std::this_thread::get_id());
  });
  std::vector<int> out;
  for (auto& h : hits) out.push_back(h.load());
  return out;
}

}  // namespace

TEST_CASE("parallel_for covers every index exactly once in contiguous ranges", "[parallel]") {
  for (int threads : {1, 2, 3, 8}) {
    ThreadCount scope(threads);
    for (int64_t n : {1, 2, 3, 7, 64, 1000, 100003}) {
      for (int64_t grain : {0, 1, 5, 1000}) {
        INFO("threads " << threads << " n " << n << " grain " << grain);
        Calls calls;
        const std::vector<int> hits = visit(n, grain, calls);
        CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
        // The ranges tile [0, n) without gaps; at most 4 per thread, none below the grain.
        std::sort(calls.ranges.begin(), calls.ranges.end());
        CHECK(static_cast<int>(calls.ranges.size()) <= 4 * threads);
        if (calls.ranges.size() > 1) {
          for (const auto& [b, e] : calls.ranges) CHECK(e - b >= std::max<int64_t>(grain, 1));
        }
        CHECK(calls.ranges.front().first == 0);
        CHECK(calls.ranges.back().second == n);
        for (size_t i = 0; i + 1 < calls.ranges.size(); ++i) {
          CHECK(calls.ranges[i].second == calls.ranges[i + 1].first);
          CHECK(calls.ranges[i].first < calls.ranges[i].second);
        }
        // Parallel only when n is at least 2 * grain.
        const int64_t g = std::max<int64_t>(grain, 1);
        if (n < 2 * g || threads == 1) CHECK(calls.ranges.size() == 1);
        if (n >= 2 * g && threads > 1) CHECK(calls.ranges.size() > 1);
      }
    }
  }
}

TEST_CASE("parallel_for shares its pieces between the caller and the pool's threads", "[parallel]") {
  ThreadCount scope(3);
  std::mutex mutex;
  std::vector<std::thread::id> threads;
  auto distinct = [&] {
    std::vector<std::thread::id> d = threads;
    std::sort(d.begin(), d.end());
    return std::unique(d.begin(), d.end()) - d.begin();
  };
  // Each piece waits (up to 10 s, on a busy machine) until a second thread has taken a piece,
  // so the test does not depend on how fast the system schedules the workers.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  parallel_for(12, 1, [&](int64_t, int64_t) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      threads.push_back(std::this_thread::get_id());
    }
    while (std::chrono::steady_clock::now() < give_up) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (distinct() >= 2) break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  CHECK(threads.size() == 12);
  CHECK(distinct() >= 2);
  CHECK(distinct() <= 3);  // never more threads than num_threads()
}

TEST_CASE("parallel_for runs serially instead of waiting while another thread's job holds the pool", "[parallel]") {
  ThreadCount scope(2);
  std::atomic<bool> release{false};
  std::thread holder([&] {
    parallel_for(2, 1, [&](int64_t, int64_t) {
      while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto start = std::chrono::steady_clock::now();
  Calls calls;
  const std::vector<int> hits = visit(1000, 1, calls);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  release = true;
  holder.join();
  CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
  CHECK(seconds < 5.0);  // a hang guard, not a timing assertion: it finished at all
}

TEST_CASE("parallel_for does nothing for an empty range", "[parallel]") {
  int calls = 0;
  parallel_for(0, 1, [&](int64_t, int64_t) { ++calls; });
  parallel_for(-5, 1, [&](int64_t, int64_t) { ++calls; });
  CHECK(calls == 0);
}

TEST_CASE("parallel_for rethrows an exception from any share, and the pool keeps working", "[parallel]") {
  ThreadCount scope(3);
  for (int64_t bad : {0, 500, 999}) {  // in the caller's share, a worker's share, the last share
    INFO("throwing at " << bad);
    std::atomic<int64_t> done{0};
    REQUIRE_THROWS_WITH(parallel_for(1000, 1,
                                     [&](int64_t begin, int64_t end) {
                                       for (int64_t i = begin; i < end; ++i) {
                                         if (i == bad) throw std::runtime_error("boom at " + std::to_string(i));
                                         done.fetch_add(1);
                                       }
                                     }),
                        Contains("boom at " + std::to_string(bad)));
    Calls calls;
    const std::vector<int> hits = visit(1000, 1, calls);
    CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
  }
  // Every share throwing: one exception comes out.
  REQUIRE_THROWS_AS(parallel_for(100, 1, [](int64_t, int64_t) { throw std::logic_error("all"); }), std::logic_error);
  // A serial run rethrows too.
  REQUIRE_THROWS_WITH(parallel_for(1, 1, [](int64_t, int64_t) { throw std::runtime_error("serial"); }),
                      Contains("serial"));
}

TEST_CASE("nested parallel_for runs serially inside the outer body", "[parallel]") {
  ThreadCount scope(4);
  CHECK_FALSE(in_parallel_region());
  constexpr int64_t outer = 8;
  constexpr int64_t inner = 50;
  std::vector<std::atomic<int>> hits(static_cast<size_t>(outer * inner));
  std::atomic<int> inner_calls{0};
  std::atomic<bool> always_in_region{true};
  parallel_for(outer, 1, [&](int64_t begin, int64_t end) {
    if (!in_parallel_region()) always_in_region = false;
    for (int64_t i = begin; i < end; ++i) {
      parallel_for(inner, 1, [&](int64_t b, int64_t e) {
        inner_calls.fetch_add(1);
        for (int64_t j = b; j < e; ++j) hits[static_cast<size_t>(i * inner + j)].fetch_add(1);
      });
    }
  });
  CHECK(always_in_region);
  CHECK_FALSE(in_parallel_region());
  CHECK(inner_calls == outer);  // each inner call is a single serial range
  for (auto& h : hits) CHECK(h.load() == 1);
}

TEST_CASE("parallel_for can be called from several threads at once", "[parallel]") {
  ThreadCount scope(3);
  constexpr int kCallers = 4;
  std::vector<int> ok(kCallers, 0);
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&ok, c] {
      bool all = true;
      for (int round = 0; round < 50; ++round) {
        std::vector<std::atomic<int>> hits(997);
        parallel_for(997, 1, [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
        });
        for (auto& h : hits) all = all && h.load() == 1;
      }
      ok[static_cast<size_t>(c)] = all ? 1 : 0;
    });
  }
  for (auto& t : callers) t.join();
  CHECK(ok == std::vector<int>(kCallers, 1));
}

TEST_CASE("set_num_threads changes the pool size and rejects non-positive counts", "[parallel]") {
  const int saved = num_threads();
  CHECK(saved >= 1);
  set_num_threads(5);
  CHECK(num_threads() == 5);
  Calls calls;
  visit(100, 1, calls);
  CHECK(calls.ranges.size() == 20);  // 4 pieces per thread
  set_num_threads(2);
  Calls fewer;
  visit(100, 1, fewer);
  CHECK(fewer.ranges.size() == 8);
  std::sort(fewer.threads.begin(), fewer.threads.end());
  CHECK(std::unique(fewer.threads.begin(), fewer.threads.end()) - fewer.threads.begin() <= 2);
  REQUIRE_THROWS_WITH(set_num_threads(0), Contains("set_num_threads: needs at least 1 thread, got 0"));
  CHECK(num_threads() == 2);
  set_num_threads(saved);
}
