// parallel.h — a small persistent thread pool and parallel_for over an index range.
//
// The pool has QKV_NUM_THREADS workers (default: the number of cores). Work inside parallel_for
// must not itself call parallel_for (it then runs serially). Code that calls OpenBLAS from
// inside a parallel_for must make sure OpenBLAS runs single-threaded there (see matmul.cpp).
#pragma once

#include <cstdint>
#include <functional>

namespace qkv {

int num_threads();
// Sets the number of qkv worker threads (1 disables parallelism).
void set_num_threads(int n);

// Calls body(begin, end) on disjoint ranges covering [0, n), in parallel when n is at least
// 2 * grain. Exceptions thrown by body are rethrown in the caller.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body);

// True while the calling thread runs a parallel_for body (nested parallel_for calls then run
// serially, and OpenBLAS should run single-threaded).
bool in_parallel_region();

}  // namespace qkv
