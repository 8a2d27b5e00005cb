// interrupt.cpp — the SIGINT/SIGTERM flag (only async-signal-safe work in the handler).
#include "train/interrupt.h"

#include <csignal>

namespace qkv::train {
namespace {

volatile std::sig_atomic_t requested = 0;

extern "C" void on_signal(int signo) {
  requested = 1;
  std::signal(signo, SIG_DFL);  // a second Ctrl-C ends the process immediately
}

}  // namespace

void watch_for_interrupt() {
  requested = 0;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupt_requested() { return requested != 0; }

}  // namespace qkv::train
