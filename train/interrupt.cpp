// interrupt.cpp — the SIGINT/SIGTERM flag (only async-signal-safe work in the handler).
#include "train/interrupt.h"

#include <unistd.h>

#include <csignal>

namespace qkv::train {
namespace {

volatile std::sig_atomic_t requested = 0;

extern "C" void on_signal(int signo) {
  requested = signo;
  (void)signo;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C (or SIGTERM) ends the process immediately
  std::signal(SIGTERM, SIG_DFL);
  static constexpr char kMessage[] =
      "\nqkv train: stopping after this step and saving last.safetensors; press Ctrl-C again to quit at once "
      "(the previous checkpoint stays whole)\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
}

}  // namespace

void watch_for_interrupt() {
  requested = 0;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupt_requested() { return requested != 0; }

int interrupt_signal() { return requested; }

}  // namespace qkv::train
