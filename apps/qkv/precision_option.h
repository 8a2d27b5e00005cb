// precision_option.h — `--precision fp32|bf16` for qkv translate and eval: how their matrix
// products are computed (tensor/precision.h). qkv train has the same flag among its run-control
// options (train/train_options.h), saved with the run.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "tensor/enum_names.h"
#include "tensor/precision.h"

namespace qkv::cli {

// Adds --precision to `app`; when given, it sets the process's precision as the command line is
// parsed (a name it does not know, or bf16 in a qkv built without oneDNN, is a usage error).
inline CLI::Option* add_precision_option(CLI::App& app) {
  return app
      .add_option_function<std::string>(
          "--precision",
          [](const std::string& text) {
            try {
              set_matmul_precision(parse_enum<Precision>(text, "--precision"));
            } catch (const Error& e) {
              throw CLI::ValidationError(e.what());
            }
          },
          "matrix products: fp32, or bf16 (bfloat16 operands, fp32 sums; needs oneDNN and AVX512_BF16)")
      ->default_str("fp32");
}

}  // namespace qkv::cli
