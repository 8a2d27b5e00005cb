// codec_factory.cpp — learning a run's tokenizers and vocabularies (see codec_factory.h): a
// subword learner reads a sample of the pairs; then one pass over every pair counts the pieces
// the vocabularies are made from. Neither holds the corpus's text.
#include "train/codec_factory.h"

#include <unordered_map>

#include "data/bpe.h"
#include "data/raw_bpe.h"
#include "data/sentencepiece_tokenizer.h"
#include "tensor/error.h"

namespace qkv::train {
namespace {

using Counts = std::unordered_map<std::string, int64_t>;

// Whether --tokenizer learns from the training text (bpe, rawbpe, sentencepiece without
// --spm-model) rather than being fixed (whitespace) or given (--spm-model).
bool learns_from_text(const TrainOptions& o) {
  if (o.tokenizer == data::TokenizerKind::whitespace) return false;
  return o.tokenizer != data::TokenizerKind::sentencepiece || o.spm_model.empty();
}

std::unique_ptr<data::Tokenizer> learn_tokenizer(const TrainOptions& o, const std::vector<std::string>& lines) {
  switch (o.tokenizer) {
    case data::TokenizerKind::bpe: return data::learn_bpe(lines, o.bpe_merges);
    case data::TokenizerKind::rawbpe:
      return data::learn_raw_bpe(lines, {.vocab_size = o.vocab_size, .min_char_count = o.min_freq});
    case data::TokenizerKind::sentencepiece: return data::learn_sentencepiece(lines, o.vocab_size - 1, o.spm_type);
    case data::TokenizerKind::whitespace: break;
  }
  throw Error("qkv train: --tokenizer whitespace learns nothing");
}

std::unique_ptr<data::Tokenizer> fixed_tokenizer(const TrainOptions& o) {
  if (o.tokenizer == data::TokenizerKind::whitespace) return data::make_whitespace_tokenizer();
  return data::load_sentencepiece(o.spm_model);
}

// The tokenizers of both sides (one, source, when options.joint_vocab).
struct Tokenizers {
  std::unique_ptr<data::Tokenizer> source, target;
};

Tokenizers make_tokenizers(const TrainOptions& o, const data::PairSource& pairs) {
  if (!learns_from_text(o)) return {fixed_tokenizer(o), o.joint_vocab ? nullptr : fixed_tokenizer(o)};
  data::ParallelCorpus sample = data::sample_pairs(pairs, o.subword_max_pairs, o.seed);
  if (!o.joint_vocab) return {learn_tokenizer(o, sample.source), learn_tokenizer(o, sample.target)};
  std::vector<std::string> lines = std::move(sample.source);
  lines.insert(lines.end(), std::make_move_iterator(sample.target.begin()),
               std::make_move_iterator(sample.target.end()));
  return {learn_tokenizer(o, lines), nullptr};
}

// One codec's text pipeline from its tokenizer and the pieces it made (`name` names its side in
// errors). A vocabulary of the four specials alone would train to a tempting perplexity on
// <unk>s: refused.
std::shared_ptr<TextCodec> make_codec(const TrainOptions& o, std::unique_ptr<data::Tokenizer> tokenizer,
                                      Counts&& counts, std::string_view name) {
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

TextCodecs learn_codecs(const TrainOptions& options, const data::PairSource& pairs) {
  Tokenizers tokenizers = make_tokenizers(options, pairs);
  const data::Tokenizer& source = *tokenizers.source;
  const data::Tokenizer& target = options.joint_vocab ? source : *tokenizers.target;
  // How often each piece occurs, counted a line at a time (at 10M pairs, the corpus tokenised
  // into strings would be gigabytes).
  Counts source_counts, target_counts;
  Counts& target_side = options.joint_vocab ? source_counts : target_counts;
  pairs.for_each([&](std::string_view s, std::string_view t) {
    for (std::string& piece : source.encode(s)) ++source_counts[std::move(piece)];
    for (std::string& piece : target.encode(t)) ++target_side[std::move(piece)];
  });
  if (options.joint_vocab) {
    auto codec = make_codec(options, std::move(tokenizers.source), std::move(source_counts), "source or target");
    return {codec, codec};
  }
  return {make_codec(options, std::move(tokenizers.source), std::move(source_counts), "source"),
          make_codec(options, std::move(tokenizers.target), std::move(target_counts), "target")};
}

}  // namespace qkv::train
