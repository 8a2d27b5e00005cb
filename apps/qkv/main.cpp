// main.cpp — the `qkv` command line: train, translate, eval, attention, variants, average, finalize, plot.
//
//   qkv train --out-dir runs/en-de                       # train on the bundled Multi30k en→de
//   echo "a dog runs on the beach ." | qkv translate --model runs/en-de/best.safetensors
//   qkv eval --model runs/en-de/best.safetensors --source data/multi30k/test_2016_flickr.en
//            --reference data/multi30k/test_2016_flickr.de --beam 5
//   qkv attention --model runs/en-de/best.safetensors --source "a dog runs ." --out-dir maps
//   qkv average --out runs/en-de/avg.safetensors runs/en-de/epoch-*.safetensors
//   qkv finalize runs/en-de                            # final.safetensors, chosen on validation
//
// Exit status: 0 done; 1 an error (an unreadable file, a corrupt checkpoint, a diverged run);
// 2 a usage error (an unknown or malformed flag, options that conflict), as getopt-style tools
// do, not CLI11's own codes (105, 106, 109, ...); 130 / 143 a `qkv train` that Ctrl-C / SIGTERM
// stopped after it saved. Every error prints one message on stderr.
//
// Under mpirun (`mpirun -np N qkv train ...`, when qkv was built with MPI) each rank is one of
// these processes (train/distributed.h); an error on any rank prints its message, prefixed
// "rank R of N: ", and ends the whole job (MPI_Abort) instead of leaving the others waiting.
#include <cstdio>
#include <new>
#include <string_view>

#include <fmt/format.h>

#include "apps/qkv/commands.h"
#include "apps/qkv/help_formatter.h"
#include "qkv_version.h"
#include "tensor/blas_kernels.h"
#include "tensor/error.h"
#include "train/distributed.h"

namespace {

// An error's exit status; on several ranks, after the message, the whole job ends with it.
int failed(int status) {
  if (qkv::train::distributed().size() > 1) {
    std::fflush(stderr);
    qkv::train::distributed().abort(status);
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything else: OpenBLAS's own pick of kernels may leave this CPU's vectors unused.
  qkv::blas::reexec_with_better_kernels(argv);
  const qkv::train::DistributedSession mpi(argc, argv);  // MPI's lifetime, when mpirun started us
  CLI::App app{"qkv: train and use sequence-to-sequence Transformers on a CPU"};
  app.require_subcommand(1);
  app.formatter(std::make_shared<qkv::cli::HelpFormatter>());  // before the subcommands, which copy it
  const char* exit_statuses =
      "Exit status: 0 done, 1 error, 2 usage error (bad or conflicting options), 130 / 143 a qkv train "
      "stopped by Ctrl-C / SIGTERM after saving last.safetensors (a second Ctrl-C quits at once; "
      "checkpoints are written atomically, so the previous one stays whole).";
  app.footer(exit_statuses);
  app.set_version_flag("--version", fmt::format("qkv {} (compiled for: {})", QKV_VERSION,
                                                QKV_ARCH_FLAGS[0] ? QKV_ARCH_FLAGS : "any CPU of its architecture"));
  std::vector<std::pair<CLI::App*, qkv::cli::Command>> commands;
  auto add = [&](const char* name, const char* help, qkv::cli::Command (*adder)(CLI::App&)) {
    CLI::App* sub = app.add_subcommand(name, help);
    sub->footer(exit_statuses);
    commands.emplace_back(sub, adder(*sub));
  };
  add("train", "train a translation model on a parallel corpus", qkv::cli::add_train);
  add("translate", "translate lines (stdin or --input) with a trained model", qkv::cli::add_translate);
  add("eval", "BLEU and chrF against references", qkv::cli::add_eval);
  add("attention", "write attention heatmaps for a sentence pair", qkv::cli::add_attention);
  add("variants", "list the registered attention variants and normalisers", qkv::cli::add_variants);
  add("average", "average the weights of several checkpoints of one model", qkv::cli::add_average);
  add("finalize", "choose a run's final weights and length penalty on validation", qkv::cli::add_finalize);
  add("plot", "plot the validation BLEU of several runs on one SVG", qkv::cli::add_plot);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);  // prints the help, the version or the error
    return status == 0 ? 0 : failed(qkv::cli::kExitUsage);
  }
  try {
    for (const auto& [sub, run] : commands) {
      if (sub->parsed()) return run();
    }
  } catch (const qkv::cli::UsageError& e) {
    fmt::print(stderr, "{}{}\n", qkv::train::rank_prefix(), e.what());
    return failed(qkv::cli::kExitUsage);
  } catch (const qkv::Error& e) {
    // Messages that already name their command ("qkv train: ...") are printed as they are.
    const std::string_view message = e.what();
    fmt::print(stderr, "{}{}{}\n", qkv::train::rank_prefix(), message.starts_with("qkv ") ? "" : "qkv: ", message);
    return failed(qkv::cli::kExitError);
  } catch (const std::bad_alloc&) {
    // Checks before the big allocations say what they need (train/memory_estimate.h); this is
    // for the rest: an error with advice, not a crash.
    fmt::print(stderr,
               "{}qkv: out of memory (std::bad_alloc): the model, the batch (--max-tokens) or the search (--beam, "
               "translate's --max-length) needs more memory than this machine can give; make one of them smaller\n",
               qkv::train::rank_prefix());
    return failed(qkv::cli::kExitError);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}qkv: unexpected error: {}\n", qkv::train::rank_prefix(), e.what());
    return failed(qkv::cli::kExitError);
  }
  return qkv::cli::kExitError;
}
