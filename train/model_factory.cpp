// model_factory.cpp — TrainOptions → the Seq2Seq model it describes.
#include "train/model_factory.h"

#include "models/rnn_seq2seq.h"
#include "models/transformer.h"
#include "tensor/error.h"

namespace qkv::train {

std::unique_ptr<models::Seq2Seq> make_model(const TrainOptions& options) {
  switch (options.arch) {
    case Arch::transformer: return std::make_unique<models::Transformer>(options.model);
    case Arch::rnn: return std::make_unique<models::RnnSeq2Seq>(options.rnn);
  }
  throw Error(fmt::format("make_model: unknown arch {}", static_cast<int>(options.arch)));
}

}  // namespace qkv::train
