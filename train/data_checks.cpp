// data_checks.cpp — validation pairs against the Transformer's positions (see data_checks.h).
#include "train/data_checks.h"

#include <fmt/format.h>

#include "tensor/error.h"

namespace qkv::train {

void check_validation_fits(const TrainOptions& options, const data::ParallelCorpus& valid,
                           const std::vector<data::Example>& examples) {
  if (options.arch != Arch::transformer) return;
  const int64_t limit = options.model.max_positions - 1;
  for (size_t i = 0; i < examples.size(); ++i) {
    for (const auto& [ids, file] :
         {std::pair{&examples[i].source, &valid.source_name}, std::pair{&examples[i].target, &valid.target_name}}) {
      const auto n = static_cast<int64_t>(ids->size());
      check(n <= limit,
            "qkv train: validation file {} line {} has {} tokens once tokenised, more than the {} the Transformer's "
            "positions cover (max_positions {}); validation pairs are not dropped, so shorten or remove that line",
            *file, i + 1, n, limit, options.model.max_positions);
    }
  }
}

}  // namespace qkv::train
