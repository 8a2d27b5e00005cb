// sentencepiece_tokenizer.cpp — SentencePiece models as qkv tokenizers (see
// sentencepiece_tokenizer.h). Without QKV_HAVE_SENTENCEPIECE (qkv built without
// libsentencepiece) every entry point throws an error that says so.
#include "data/sentencepiece_tokenizer.h"

#include <fstream>
#include <iterator>
#include <unordered_map>

#include "data/base64.h"
#include "data/byte_pieces.h"
#include "tensor/error.h"

#ifdef QKV_HAVE_SENTENCEPIECE
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>
#endif

namespace qkv::data {
namespace {

constexpr std::string_view kHeader = "qkv-tokenizer sentencepiece v1";
constexpr std::string_view kUnk = "<unk>";  // qkv's spelling of the unknown piece (vocab.h)

#ifdef QKV_HAVE_SENTENCEPIECE

namespace spm = sentencepiece;

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // `where` names the model in errors (a file name, or "the learned model").
  SentencePieceTokenizer(std::string model_bytes, const std::string& where) : bytes_(std::move(model_bytes)) {
    const auto status = processor_.LoadFromSerializedProto(bytes_);
    check(status.ok(), "sentencepiece: cannot load {}: {}", where, status.ToString());
    unk_piece_ = processor_.IdToPiece(processor_.unk_id());
    for (int id = 0; id < processor_.GetPieceSize(); ++id) {
      if (processor_.IsControl(id) || processor_.IsUnknown(id) || processor_.IsUnused(id)) continue;
      const std::string& piece = processor_.IdToPiece(id);
      check(processor_.IsByte(id) || !is_reserved_piece(piece),
            "sentencepiece: {}: piece {} is spelled '{}', which qkv reserves (a special or a byte piece)", where, id,
            piece);
      inventory_.push_back(piece);
    }
  }

  std::vector<std::string> encode(std::string_view line) const override {
    std::vector<std::string> pieces;
    const auto status = processor_.Encode(std::string(line), &pieces);
    check(status.ok(), "sentencepiece: cannot encode a line: {}", status.ToString());
    for (std::string& piece : pieces)
      if (piece == unk_piece_) piece = kUnk;
    return pieces;
  }

  std::string decode(const std::vector<std::string>& pieces) const override {
    std::vector<std::string> model_pieces(pieces);
    for (std::string& piece : model_pieces)
      if (piece == kUnk) piece = unk_piece_;
    std::string line;
    const auto status = processor_.Decode(model_pieces, &line);
    check(status.ok(), "sentencepiece: cannot decode: {}", status.ToString());
    return line;
  }

  std::string name() const override { return "sentencepiece"; }
  std::string serialize() const override { return fmt::format("{}\n{}\n", kHeader, base64_encode(bytes_)); }
  std::vector<std::string> inventory() const override { return inventory_; }

 private:
  std::string bytes_;  // the serialized ModelProto
  spm::SentencePieceProcessor processor_;
  std::string unk_piece_;
  std::vector<std::string> inventory_;
};

// Feeds the training lines to the trainer without a temporary file.
class LineIterator final : public spm::SentenceIterator {
 public:
  explicit LineIterator(const std::vector<std::string>& lines) : lines_(lines) {}
  bool done() const override { return next_ >= lines_.size(); }
  void Next() override { ++next_; }
  const std::string& value() const override { return lines_[next_]; }
  spm::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& lines_;
  size_t next_ = 0;
};

#endif

}  // namespace

#ifdef QKV_HAVE_SENTENCEPIECE

bool sentencepiece_available() { return true; }

std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  check(static_cast<bool>(in), "sentencepiece: cannot open the model file '{}'", path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  check(!in.bad(), "sentencepiece: error while reading the model file '{}'", path);
  return std::make_unique<SentencePieceTokenizer>(std::move(bytes), fmt::format("'{}'", path));
}

std::unique_ptr<Tokenizer> learn_sentencepiece(const std::vector<std::string>& lines, int64_t vocab_size,
                                               SentencePieceType type) {
  check(vocab_size > 0, "learn_sentencepiece: vocab_size must be positive, got {}", vocab_size);
  std::unordered_map<std::string, std::string> options = {
      {"model_type", std::string(enum_name(type))}, {"vocab_size", std::to_string(vocab_size)}, {"minloglevel", "2"}};
  std::string_view rest = kLosslessTrainerOptions;
  while (!rest.empty()) {
    const std::string_view option = rest.substr(0, rest.find(' '));
    rest.remove_prefix(std::min(rest.size(), option.size() + 1));
    const size_t eq = option.find('=');
    options[std::string(option.substr(0, eq))] = std::string(option.substr(eq + 1));
  }
  LineIterator iterator(lines);
  std::string bytes;
  const auto status = spm::SentencePieceTrainer::Train(options, &iterator, &bytes);
  check(status.ok(), "learn_sentencepiece (vocab_size {}): the trainer failed: {}", vocab_size, status.ToString());
  return std::make_unique<SentencePieceTokenizer>(std::move(bytes), "the learned model");
}

std::unique_ptr<Tokenizer> deserialize_sentencepiece(std::string_view text) {
  const size_t newline = text.find('\n');
  check(text.substr(0, newline) == kHeader, "deserialize_sentencepiece: the first line must be '{}'", kHeader);
  std::string_view encoded = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  if (encoded.ends_with('\n')) encoded.remove_suffix(1);
  check(!encoded.empty(), "deserialize_sentencepiece: no model after the header");
  return std::make_unique<SentencePieceTokenizer>(base64_decode(encoded), "the model stored in the checkpoint");
}

#else

namespace {
[[noreturn]] void unavailable(std::string_view what) {
  throw Error(fmt::format(
      "{}: qkv was built without SentencePiece (install libsentencepiece-dev and reconfigure: CMake finds it "
      "with pkg-config)",
      what));
}
}  // namespace

bool sentencepiece_available() { return false; }
std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& path) {
  unavailable(fmt::format("sentencepiece: cannot load '{}'", path));
}
std::unique_ptr<Tokenizer> learn_sentencepiece(const std::vector<std::string>&, int64_t, SentencePieceType) {
  unavailable("--tokenizer sentencepiece");
}
std::unique_ptr<Tokenizer> deserialize_sentencepiece(std::string_view) {
  unavailable("a checkpoint with a SentencePiece tokenizer");
}

#endif

}  // namespace qkv::data
