// evaluate.cpp — batched translation and the validation figures.
#include "train/evaluate.h"

#include <algorithm>
#include <cmath>

#include "autograd/grad_mode.h"
#include "data/vocab.h"
#include "metrics/bleu.h"
#include "metrics/chrf.h"
#include "models/eval_mode_guard.h"
#include "nn/functional.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "train/translation_batches.h"

namespace qkv::train {
SourceBatch make_source_batch(const std::vector<std::vector<int64_t>>& ids) {
  const auto batch = static_cast<int64_t>(ids.size());
  int64_t length = 1;
  for (const auto& s : ids) length = std::max<int64_t>(length, static_cast<int64_t>(s.size()) + 1);
  std::vector<int64_t> flat(static_cast<size_t>(batch * length), data::Vocab::kPad);
  for (int64_t b = 0; b < batch; ++b) {
    const auto& s = ids[static_cast<size_t>(b)];
    std::copy(s.begin(), s.end(), flat.begin() + b * length);
    flat[static_cast<size_t>(b * length + static_cast<int64_t>(s.size()))] = data::Vocab::kEos;
  }
  Tensor source = from_vector(flat, Shape{batch, length});
  Tensor padding = raw::eq(source, full(Shape{batch, length}, data::Vocab::kPad, Dtype::int64));
  return {source, padding};
}

std::vector<std::string> translate_lines(models::Seq2Seq& model, const TextCodec& source, const TextCodec& target,
                                         const std::vector<std::string>& lines, const models::DecodeOptions& options,
                                         int64_t max_batch_tokens) {
  std::vector<std::vector<int64_t>> ids;
  ids.reserve(lines.size());
  for (const auto& line : lines) ids.push_back(source.encode(line));
  std::vector<int64_t> lengths;
  for (const auto& sentence : ids) lengths.push_back(static_cast<int64_t>(sentence.size()) + 1);  // + eos
  std::vector<std::string> out(lines.size());
  for (const std::vector<size_t>& members : plan_translation_batches(lengths, max_batch_tokens)) {
    std::vector<std::vector<int64_t>> group;
    for (size_t m : members) group.push_back(ids[m]);
    const SourceBatch batch = make_source_batch(group);
    const auto hyps = models::translate(model, batch.source, batch.source_padding, options);
    for (size_t k = 0; k < members.size(); ++k) out[members[k]] = target.decode(hyps[k]);
  }
  return out;
}

double validation_bleu(const TextCodec& target, const std::vector<std::string>& hypotheses,
                       const std::vector<std::string>& references) {
  const std::string kind = target.tokenizer().name();
  if (kind == "rawbpe" || kind == "sentencepiece") return metrics::corpus_bleu(hypotheses, references, {}).score;
  return metrics::corpus_bleu(hypotheses, references).score;
}

Validation validate(models::Seq2Seq& model, const std::vector<data::Example>& examples, const TextCodec& source,
                    const TextCodec& target, const std::vector<std::string>& source_lines,
                    const std::vector<std::string>& reference_lines, const models::DecodeOptions& options,
                    int64_t max_tokens) {
  models::EvalModeGuard eval(model);
  NoGradGuard no_grad;
  Validation v;
  data::BatchOptions plan_options{.max_tokens = max_tokens, .shuffle = false};
  double total_loss = 0;
  int64_t total_tokens = 0;
  for (const auto& indices : data::plan_epoch(examples, plan_options, 0)) {
    const data::Batch batch = data::make_batch(examples, indices);
    const Tensor loss = model.loss(batch.source, batch.source_padding, batch.target_in, batch.target_out,
                                   {.ignore_index = data::Vocab::kPad, .reduction = Reduction::sum});
    total_loss += loss.item();
    total_tokens += batch.target_tokens;
  }
  v.loss = total_tokens > 0 ? total_loss / static_cast<double>(total_tokens) : 0;
  v.ppl = std::exp(v.loss);
  const auto hypotheses = translate_lines(model, source, target, source_lines, options);
  v.bleu = validation_bleu(target, hypotheses, reference_lines);
  v.chrf = metrics::corpus_chrf(hypotheses, reference_lines).score;
  return v;
}

}  // namespace qkv::train
