// codec_factory.cpp — learning a run's tokenizers and vocabularies (see codec_factory.h).
#include "train/codec_factory.h"

#include <unordered_map>

#include "data/bpe.h"
#include "data/raw_bpe.h"
#include "data/sentencepiece_tokenizer.h"
#include "tensor/error.h"

namespace qkv::train {
namespace {

// The training lines of one codec: one side's, or (a joint vocabulary) both sides'.
using Sides = std::vector<const std::vector<std::string>*>;

// The sides' lines in one vector: what the subword learners read. Copies only for two sides.
const std::vector<std::string>& all_lines(const Sides& sides, std::vector<std::string>& joined) {
  if (sides.size() == 1) return *sides.front();
  for (const auto* lines : sides) joined.insert(joined.end(), lines->begin(), lines->end());
  return joined;
}

std::unique_ptr<data::Tokenizer> learn_tokenizer(const TrainOptions& o, const Sides& sides) {
  if (o.tokenizer == data::TokenizerKind::whitespace) return data::make_whitespace_tokenizer();
  if (o.tokenizer == data::TokenizerKind::sentencepiece && !o.spm_model.empty())
    return data::load_sentencepiece(o.spm_model);
  std::vector<std::string> joined;
  const std::vector<std::string>& lines = all_lines(sides, joined);
  switch (o.tokenizer) {
    case data::TokenizerKind::bpe: return data::learn_bpe(lines, o.bpe_merges);
    case data::TokenizerKind::rawbpe:
      return data::learn_raw_bpe(lines, {.vocab_size = o.vocab_size, .min_char_count = o.min_freq});
    case data::TokenizerKind::sentencepiece: return data::learn_sentencepiece(lines, o.vocab_size - 1, o.spm_type);
    case data::TokenizerKind::whitespace: break;
  }
  throw Error("qkv train: unknown --tokenizer");
}

// How often the tokenizer makes each piece of the lines, counted a line at a time: the corpus is
// never held tokenised (at 10M pairs, gigabytes of strings).
std::unordered_map<std::string, int64_t> count_pieces(const data::Tokenizer& tokenizer, const Sides& sides) {
  std::unordered_map<std::string, int64_t> counts;
  for (const auto* lines : sides)
    for (const std::string& line : *lines)
      for (std::string& piece : tokenizer.encode(line)) ++counts[std::move(piece)];
  return counts;
}

// One codec's text pipeline (`name` names its side in errors). A vocabulary of the four
// specials alone would train to a tempting perplexity on <unk>s: refused.
std::shared_ptr<TextCodec> learn_codec(const TrainOptions& o, const Sides& sides, std::string_view name) {
  auto tokenizer = learn_tokenizer(o, sides);
  std::unordered_map<std::string, int64_t> counts = count_pieces(*tokenizer, sides);
  const std::vector<std::string> inventory = tokenizer->inventory();
  if (!inventory.empty()) {  // every piece the tokenizer can produce, each counted once more
    for (const std::string& piece : inventory) ++counts[piece];
    return std::make_shared<TextCodec>(std::move(tokenizer), data::Vocab::from_counts(counts, 1));
  }
  data::Vocab vocab = data::Vocab::from_counts(counts, o.min_freq);
  check(vocab.size() > 4,
        "qkv train: no {} token occurs --min-freq {} times in the training data, so the vocabulary would be "
        "only <pad> <unk> <bos> <eos> and every word <unk>; lower --min-freq",
        name, o.min_freq);
  return std::make_shared<TextCodec>(std::move(tokenizer), std::move(vocab));
}

}  // namespace

TextCodecs learn_codecs(const TrainOptions& options, const data::ParallelCorpus& corpus) {
  if (options.joint_vocab) {
    auto codec = learn_codec(options, {&corpus.source, &corpus.target}, "source or target");
    return {codec, codec};
  }
  return {learn_codec(options, {&corpus.source}, "source"), learn_codec(options, {&corpus.target}, "target")};
}

}  // namespace qkv::train
