// interrupt.h — Ctrl-C as a request: the first SIGINT (or SIGTERM) sets a flag that the training
// loop checks after each step, so it can save a checkpoint and exit cleanly; a second one ends
// the process at once, as usual.
#pragma once

namespace qkv::train {

// Installs the handlers (idempotent) and clears any earlier request.
void watch_for_interrupt();
bool interrupt_requested();

}  // namespace qkv::train
