// translate_latency.cpp — how long `qkv translate` takes to answer one typed sentence once the
// model is loaded: a trained run's best.safetensors, sentences translated one at a time (a batch
// of one, as a terminal gives them) through LoadedModel::translate_n_best, the path the command
// line takes, tokenising and detokenising included. The model is loaded once; one warm-up pass
// over the sentences is not timed. Prints the median and 90th percentile of the per-sentence
// wall times. RESULT lines are for scripts/bench_translate_latency.sh.
//
//   build/translate_latency RUN_DIR [repeats] [beam]      # default 5 repeats of 12 sentences, beam 5
//
// RUN_DIR is a `qkv train --out-dir` (or a checkpoint file). The 12 sentences are Multi30k-like
// descriptions, typed as a person would (cased, punctuation attached); for a model trained on
// pre-tokenised lowercased text (the whitespace and bpe tokenizers) the same sentences are given
// lowercased and split, as such a model expects. Target (issue 18): median under 50 ms, beam 5.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/timing.h"
#include "tensor/parallel.h"
#include "train/trained_model.h"

using namespace qkv;

namespace {

struct Sentence {
  const char* typed;      // as a person types it
  const char* tokenised;  // lowercased and split, like Multi30k's lc.norm.tok files
};

constexpr Sentence kSentences[] = {
    {"A man in an orange hat is looking at something.", "a man in an orange hat is looking at something ."},
    {"Two dogs are running through the snow.", "two dogs are running through the snow ."},
    {"A little girl climbs into a wooden playhouse.", "a little girl climbs into a wooden playhouse ."},
    {"A woman is riding a bike down the street.", "a woman is riding a bike down the street ."},
    {"Several people are standing outside a building, waiting for a bus.",
     "several people are standing outside a building , waiting for a bus ."},
    {"A boy jumps into the water.", "a boy jumps into the water ."},
    {"Three men in black shirts are playing music on a stage.",
     "three men in black shirts are playing music on a stage ."},
    {"A dog catches a frisbee in the park.", "a dog catches a frisbee in the park ."},
    {"An old man sits on a bench and reads the newspaper.", "an old man sits on a bench and reads the newspaper ."},
    {"Children are playing soccer on a green field.", "children are playing soccer on a green field ."},
    {"A chef prepares food in a busy kitchen.", "a chef prepares food in a busy kitchen ."},
    {"The woman in the red dress is smiling.", "the woman in the red dress is smiling ."},
};

// The p-th percentile by the nearest-rank method: the smallest value with at least p% of the
// values at or below it.
double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::max<size_t>(rank, 1) - 1];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} RUN_DIR [repeats] [beam]\n", argv[0]);
    return 2;
  }
  std::string path = argv[1];
  if (std::filesystem::is_directory(path)) path = (std::filesystem::path(path) / "best.safetensors").string();
  const int repeats = argc > 2 ? std::stoi(argv[2]) : 5;
  const int64_t beam = argc > 3 ? std::stoll(argv[3]) : 5;

  try {
    const double load_start = bench::wall_ms();
    const train::LoadedModel model = train::load_model(path);
    const double load_ms = bench::wall_ms() - load_start;
    const std::string tokenizer = model.source->tokenizer().name();
    const bool tokenised = tokenizer == "whitespace" || tokenizer == "bpe";
    const train::TranslateOptions options{.decode = {.beam_size = beam}};

    std::vector<std::string> sentences;
    for (const Sentence& s : kSentences) sentences.emplace_back(tokenised ? s.tokenised : s.typed);
    for (const std::string& s : sentences) model.translate_n_best({s}, options);  // warm-up, not timed

    std::vector<double> times;
    int64_t output_words = 0;
    for (int r = 0; r < repeats; ++r) {
      for (const std::string& s : sentences) {
        const double start = bench::wall_ms();
        const std::vector<train::Translation> out = model.translate_n_best({s}, options);
        times.push_back(bench::wall_ms() - start);
        if (r == 0)
          output_words +=
              static_cast<int64_t>(std::count(out[0].n_best[0].text.begin(), out[0].n_best[0].text.end(), ' ') +
                                   !out[0].n_best[0].text.empty());
      }
    }
    fmt::print(
        "{}: {} tokenizer, {} typed sentences given as {} text, beam {}, {} threads; model loaded in {:.0f} ms\n", path,
        tokenizer, sentences.size(), tokenised ? "tokenised lowercased" : "raw", beam, num_threads(), load_ms);
    fmt::print("{} timed translations ({} repeats); outputs average {:.1f} words\n", times.size(), repeats,
               static_cast<double>(output_words) / static_cast<double>(sentences.size()));
    fmt::print("RESULT median_ms {:.2f}\n", bench::median(times));
    fmt::print("RESULT p90_ms {:.2f}\n", percentile(times, 90));
    fmt::print("RESULT max_ms {:.2f}\n", *std::max_element(times.begin(), times.end()));
    fmt::print("RESULT peak_mb {:.0f}\n", bench::peak_rss_mb());
  } catch (const std::exception& e) {
    fmt::print(stderr, "translate_latency: {}\n", e.what());
    return 1;
  }
  return 0;
}
