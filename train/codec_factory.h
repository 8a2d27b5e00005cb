// codec_factory.h — the text pipelines a new run learns from its training data (TextCodec:
// a tokenizer, then a vocabulary), per --tokenizer:
//
//   whitespace, bpe     the vocabulary is the pieces seen at least --min-freq times (bpe learns
//                       --bpe-merges merges first); rarer pieces become <unk>.
//   rawbpe              learn_raw_bpe (data/raw_bpe.h) with --vocab-size; --min-freq is the
//                       count a character needs to be in the alphabet (rarer ones are bytes).
//   sentencepiece       --spm-model's model, or one learned (--spm-type unigram or bpe) with
//                       --vocab-size (the trainer is
//                       asked for vocab-size - 1 pieces: its <unk>, <s>, </s> become qkv's
//                       <unk>, <bos>, <eos> and qkv adds <pad>, so the vocabulary is --vocab-size).
//                       --min-freq does not apply: SentencePiece's character_coverage decides
//                       which characters are spelled in bytes.
//   For rawbpe and sentencepiece the vocabulary holds every piece the tokenizer can produce
//   (Tokenizer::inventory), ordered by training frequency, so no text ever becomes <unk>.
//
// With --joint-vocab one tokenizer and one vocabulary are learned over the source and target
// lines together and used for both sides (source and target are the same codec), which is
// what --share-embeddings needs.
//
// The corpus is read pair by pair, never held: a subword learner reads a sample of at most
// --subword-max-pairs pairs (all of them when there are no more, so Multi30k's 29,000 are all
// read), then one more pass counts every pair's pieces for the vocabularies.
#pragma once

#include <memory>

#include "data/pair_source.h"
#include "train/text_codec.h"
#include "train/train_options.h"

namespace qkv::train {

struct TextCodecs {
  std::shared_ptr<TextCodec> source, target;  // one object when options.joint_vocab
};

// Throws qkv::Error naming the option when the data cannot give a usable vocabulary.
TextCodecs learn_codecs(const TrainOptions& options, const data::PairSource& pairs);
// The same for a corpus already in memory (tests, small samples).
inline TextCodecs learn_codecs(const TrainOptions& options, const data::ParallelCorpus& corpus) {
  return learn_codecs(options, data::PairsInMemory(corpus));
}

}  // namespace qkv::train
