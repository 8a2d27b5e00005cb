// memory_estimate.cpp — closed-form parameter counts, an activation bound, and /proc/meminfo.
#include "train/memory_estimate.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "tensor/error.h"

namespace qkv::train {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// "3.2 GiB", or "180 MiB" below a tenth of a GiB.
std::string size_text(double bytes) {
  return bytes >= 0.1 * kGiB ? fmt::format("{:.1f} GiB", bytes / kGiB) : fmt::format("{:.0f} MiB", bytes / (1 << 20));
}

double element_bytes(Dtype dtype) { return dtype == Dtype::float64 ? 8.0 : 4.0; }

// Parameters of a Transformer (models/transformer.h): embeddings, per layer the attention
// projections (4 D² + 4 D per attention), the feed-forward block and the LayerNorms.
int64_t transformer_parameters(const models::TransformerConfig& c) {
  const int64_t D = c.d_model, F = c.ffn_dim, Vs = c.source_vocab, Vt = c.target_vocab;
  int64_t n = c.share_embeddings ? Vs * D : (Vs + Vt) * D;
  if (!c.share_embeddings && !c.tie_output) n += Vt * D;
  n += Vt;  // the output bias
  if (c.learned_positions) n += 2 * c.max_positions * D;
  const int64_t attention = 4 * D * D + 4 * D, ffn = 2 * D * F + F + D, norm = 2 * D;
  n += c.encoder_layers * (attention + ffn + 2 * norm) + c.decoder_layers * (2 * attention + ffn + 3 * norm);
  if (c.pre_norm) n += 2 * norm;
  return n;
}

// Parameters of the RNN encoder-decoder (models/rnn_seq2seq.h): gates × hidden × (input +
// hidden + 2 biases) per layer and direction, the attention, the readout and the embeddings.
int64_t rnn_parameters(const models::RnnSeq2SeqConfig& c) {
  const int64_t g = c.cell == models::RnnCell::lstm ? 4 : 3;
  const int64_t E = c.embedding_dim, He = c.encoder_hidden, Hd = c.decoder_hidden, Enc = c.encoder_dim();
  const int64_t directions = c.bidirectional ? 2 : 1;
  int64_t n = (c.source_vocab + c.target_vocab) * E + c.target_vocab;
  if (!c.tie_output) n += c.target_vocab * E;
  for (int64_t l = 0; l < c.encoder_layers; ++l) n += directions * g * He * ((l == 0 ? E : Enc) + He + 2);
  for (int64_t l = 0; l < c.decoder_layers; ++l) n += g * Hd * ((l == 0 ? E + Enc : Hd) + Hd + 2);
  n += (Enc + Hd) * Hd + Hd;               // the attention
  n += (Hd + Enc + E) * E + E + Enc * Hd;  // the readout and the initial decoder state
  return n;
}

// One step's activations, kept for backward: per layer a handful of (tokens, D) and (tokens, F)
// tensors, the attention weights (B, H, T, T) = H · tokens · T, and the logits (tokens, V).
double transformer_activations(const TrainOptions& o) {
  const auto& c = o.model;
  const double N = static_cast<double>(o.max_tokens), D = c.d_model, F = c.ffn_dim, H = c.num_heads;
  const double T = static_cast<double>(std::min<int64_t>(o.max_length + 1, o.max_tokens));
  const double encoder = N * (12 * D + 2 * F) + 3 * H * N * T;
  const double decoder = N * (18 * D + 2 * F) + 6 * H * N * T;
  const double elements = static_cast<double>(c.encoder_layers) * encoder +
                          static_cast<double>(c.decoder_layers) * decoder + 3 * N * static_cast<double>(c.target_vocab);
  return elements * element_bytes(c.dtype);
}

double rnn_activations(const TrainOptions& o) {
  const auto& c = o.rnn;
  const double N = static_cast<double>(o.max_tokens), g = c.cell == models::RnnCell::lstm ? 4 : 3;
  const double T = static_cast<double>(std::min<int64_t>(o.max_length + 1, o.max_tokens));
  const double encoder = static_cast<double>(c.encoder_layers) * N * (g + 2) * static_cast<double>(c.encoder_dim());
  const double decoder = static_cast<double>(c.decoder_layers) * N * (g + 2) * static_cast<double>(c.decoder_hidden);
  const double attention = 3 * N * T + 4 * N * static_cast<double>(c.encoder_dim());
  const double elements = encoder + decoder + attention + 3 * N * static_cast<double>(c.target_vocab);
  return elements * element_bytes(c.dtype);
}

// A number from a file such as /sys/fs/cgroup/memory.max ("max" or unreadable: negative).
double number_in(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return -1;
  try {
    return std::stod(text);
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

MemoryEstimate estimate_training_memory(const TrainOptions& o) {
  MemoryEstimate e;
  const bool rnn = o.arch == Arch::rnn;
  e.parameters = rnn ? rnn_parameters(o.rnn) : transformer_parameters(o.model);
  e.parameter_bytes = 4.0 * static_cast<double>(e.parameters) * element_bytes(rnn ? o.rnn.dtype : o.model.dtype);
  e.activation_bytes = rnn ? rnn_activations(o) : transformer_activations(o);
  return e;
}

double available_memory_bytes() {
  if (const char* forced = std::getenv("QKV_MEMORY_AVAILABLE_BYTES"); forced != nullptr && *forced != '\0') {
    try {
      return std::stod(forced);
    } catch (const std::exception&) {
      throw Error(fmt::format("QKV_MEMORY_AVAILABLE_BYTES: not a number: '{}'", forced));
    }
  }
  double available = -1;
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    if (!line.starts_with("MemAvailable:")) continue;
    std::istringstream fields(line.substr(13));
    double kib = 0;
    if (fields >> kib) available = kib * 1024.0;
  }
  const double limit = number_in("/sys/fs/cgroup/memory.max"), used = number_in("/sys/fs/cgroup/memory.current");
  if (limit >= 0 && used >= 0 && (available < 0 || limit - used < available)) available = std::max(0.0, limit - used);
  return available;
}

void check_fits_in_memory(const TrainOptions& options) {
  const double available = available_memory_bytes();
  if (available < 0) return;  // nothing to compare with: let the allocator decide
  const MemoryEstimate e = estimate_training_memory(options);
  check(e.total() <= available,
        "qkv train: this model and batch need ~{} ({} parameters: {} for weights, gradients and Adam's moments; "
        "~{} of activations for --max-tokens {}), this machine has {} available; "
        "use a smaller model (--d-model, --ffn-dim, layers, or a higher --min-freq for smaller vocabularies) or a "
        "lower --max-tokens",
        size_text(e.total()), e.parameters, size_text(e.parameter_bytes), size_text(e.activation_bytes),
        options.max_tokens, size_text(available));
}

}  // namespace qkv::train
