// interrupt.h — Ctrl-C as a request: the first SIGINT (or SIGTERM) sets a flag that the training
// loop checks after each step, so it can save last.safetensors and stop; it prints
// "stopping after this step and saving ...". A second one ends the process at once, as usual
// (exit status 130 or 143 from the signal): checkpoints are written atomically
// (io/atomic_file.h), so a save cut short leaves the previous last.safetensors whole.
#pragma once

namespace qkv::train {

// Installs the handlers (idempotent) and clears any earlier request.
void watch_for_interrupt();
bool interrupt_requested();
// The signal that made the request (SIGINT or SIGTERM), 0 if none.
int interrupt_signal();

}  // namespace qkv::train
