// codec_factory.cpp — learning a run's tokenizers and vocabularies (see codec_factory.h).
#include "train/codec_factory.h"

#include "data/bpe.h"
#include "data/raw_bpe.h"
#include "data/sentencepiece_tokenizer.h"
#include "tensor/error.h"

namespace qkv::train {
namespace {

std::unique_ptr<data::Tokenizer> learn_tokenizer(const TrainOptions& o, const std::vector<std::string>& lines) {
  switch (o.tokenizer) {
    case data::TokenizerKind::whitespace: return data::make_whitespace_tokenizer();
    case data::TokenizerKind::bpe: return data::learn_bpe(lines, o.bpe_merges);
    case data::TokenizerKind::rawbpe:
      return data::learn_raw_bpe(lines, {.vocab_size = o.vocab_size, .min_char_count = o.min_freq});
    case data::TokenizerKind::sentencepiece:
      if (!o.spm_model.empty()) return data::load_sentencepiece(o.spm_model);
      return data::learn_sentencepiece(lines, o.vocab_size - 1, o.spm_type);
  }
  throw Error("qkv train: unknown --tokenizer");
}

// One side's text pipeline (`side` names it in errors). A vocabulary of the four specials alone
// would train to a tempting perplexity on <unk>s: refused.
std::shared_ptr<TextCodec> learn_codec(const TrainOptions& o, const std::vector<std::string>& lines,
                                       std::string_view side) {
  auto tokenizer = learn_tokenizer(o, lines);
  std::vector<std::vector<std::string>> tokenized;
  tokenized.reserve(lines.size() + 1);
  for (const auto& line : lines) tokenized.push_back(tokenizer->encode(line));
  std::vector<std::string> inventory = tokenizer->inventory();
  if (!inventory.empty()) {  // every piece the tokenizer can produce, each counted once more
    tokenized.push_back(std::move(inventory));
    return std::make_shared<TextCodec>(std::move(tokenizer), data::Vocab::build(tokenized, 1));
  }
  data::Vocab vocab = data::Vocab::build(tokenized, o.min_freq);
  check(vocab.size() > 4,
        "qkv train: no {} token occurs --min-freq {} times in the training data, so the vocabulary would be "
        "only <pad> <unk> <bos> <eos> and every word <unk>; lower --min-freq",
        side, o.min_freq);
  return std::make_shared<TextCodec>(std::move(tokenizer), std::move(vocab));
}

}  // namespace

TextCodecs learn_codecs(const TrainOptions& options, const data::ParallelCorpus& corpus) {
  if (options.joint_vocab) {
    std::vector<std::string> both(corpus.source);
    both.insert(both.end(), corpus.target.begin(), corpus.target.end());
    auto codec = learn_codec(options, both, "source or target");
    return {codec, codec};
  }
  return {learn_codec(options, corpus.source, "source"), learn_codec(options, corpus.target, "target")};
}

}  // namespace qkv::train
