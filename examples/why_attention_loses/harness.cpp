// harness.cpp — the training run every "why does my attention lose?" program shares (harness.h).
#include "harness.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <set>
#include <sstream>

#include "checks.h"
#include "model.h"

namespace why {

using namespace qkv;

namespace {

struct Options {
  int64_t steps = 400;
  int64_t max_tokens = 800;
  int64_t valid_sentences = 500;
  std::string data = "data/multi30k";
  bool checks_only = false;
  std::set<std::string> expect_failed;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const auto value = [&]() -> std::string {
      check(i + 1 < argc, "{}: {} needs a value", argv[0], flag);
      return argv[++i];
    };
    if (flag == "--steps")
      o.steps = std::stoll(value());
    else if (flag == "--max-tokens")
      o.max_tokens = std::stoll(value());
    else if (flag == "--valid-sentences")
      o.valid_sentences = std::stoll(value());
    else if (flag == "--data")
      o.data = value();
    else if (flag == "--checks-only")
      o.checks_only = true;
    else if (flag == "--expect-failed") {
      std::stringstream names(value());
      for (std::string name; std::getline(names, name, ',');) o.expect_failed.insert(name);
    } else
      throw Error(fmt::format("{}: unknown option {} (see examples/why_attention_loses/harness.h)", argv[0], flag));
  }
  check(o.steps >= 8 && o.max_tokens > 0 && o.valid_sentences > 0,
        "{}: --steps must be at least 8 and the other counts positive, got steps {}, max-tokens {}, valid {}", argv[0],
        o.steps, o.max_tokens, o.valid_sentences);
  return o;
}

// Words → ids, the vocabularies of the tokens seen at least twice.
struct Data {
  data::ParallelCorpus train, valid;
  data::Vocab src_vocab, tgt_vocab;
  std::vector<data::Example> train_examples, valid_examples;
};

Data load(const Options& o) {
  Data d;
  d.train = data::read_parallel(o.data + "/train.en", o.data + "/train.de");
  d.valid = data::read_parallel(o.data + "/val.en", o.data + "/val.de");
  d.valid.source.resize(std::min<size_t>(d.valid.size(), o.valid_sentences));
  d.valid.target.resize(d.valid.source.size());
  const auto tok = data::make_whitespace_tokenizer();
  const auto words = [&](const std::vector<std::string>& lines) {
    std::vector<std::vector<std::string>> out;
    for (const auto& line : lines) out.push_back(tok->encode(line));
    return out;
  };
  d.src_vocab = data::Vocab::build(words(d.train.source), 2);
  d.tgt_vocab = data::Vocab::build(words(d.train.target), 2);
  d.train_examples = data::encode_corpus(d.train, *tok, *tok, d.src_vocab, d.tgt_vocab);
  d.valid_examples = data::encode_corpus(d.valid, *tok, *tok, d.src_vocab, d.tgt_vocab);
  return d;
}

// Warmup then 1/√step; without warmup the same decay from the first step at the peak.
Schedule schedule(bool warmup, int64_t steps) {
  const double peak = 2e-3;
  const int64_t warmup_steps = steps / 5;
  if (warmup) return warmup_inverse_sqrt_lr(peak, warmup_steps);
  return [=](int64_t step) { return peak * std::min(1.0, std::sqrt(double(warmup_steps) / double(step + 1))); };
}

// The ten lines that train: forward, loss, backward, clip, update (skipped if not finite).
double train_step(HandTransformer& model, Adam& opt, const data::Batch& batch, double lr) {
  opt.set_lr(lr);
  const Tensor logits = model.forward(batch.source, batch.source_padding, batch.target_in);  // (B, T, V)
  const Tensor loss = cross_entropy(logits, batch.target_out, {.ignore_index = data::Vocab::kPad});
  opt.zero_grad();
  loss.backward();
  const double norm = clip_grad_norm_(opt.parameters(), 1.0, /*error_if_nonfinite=*/false);
  const double value = loss.item();
  if (std::isfinite(value) && std::isfinite(norm)) opt.step();
  return std::isfinite(norm) ? value : NAN;
}

std::vector<data::Batch> in_order(const std::vector<data::Example>& examples, int64_t max_tokens) {
  data::BatchOptions bo;
  bo.max_tokens = max_tokens;
  bo.shuffle = false;
  std::vector<data::Batch> out;
  for (const auto& idx : data::plan_epoch(examples, bo, 0)) out.push_back(data::make_batch(examples, idx));
  return out;
}

// Teacher-forced cross entropy per target token, in eval mode.
double validation_loss(HandTransformer& model, const std::vector<data::Batch>& batches) {
  NoGradGuard no_grad;
  model.eval();
  double total = 0;
  int64_t tokens = 0;
  for (const auto& b : batches) {
    const Tensor logits = model.forward(b.source, b.source_padding, b.target_in);
    total +=
        cross_entropy(logits, b.target_out, {.ignore_index = data::Vocab::kPad, .reduction = Reduction::sum}).item();
    tokens += b.target_tokens;
  }
  model.train();
  return total / double(tokens);
}

// Greedy translations of the validation sources, in corpus order.
std::vector<std::string> translate(HandTransformer& model, const Data& d, const std::vector<data::Batch>& batches) {
  std::vector<std::string> out(d.valid.size());
  for (const auto& b : batches) {
    models::DecodeOptions greedy;
    greedy.max_length = 50;  // the longest validation target has 33 words
    const auto ids = models::greedy_decode(model, b.source, b.source_padding, greedy);
    for (size_t i = 0; i < ids.size(); ++i) {
      const auto words = d.tgt_vocab.decode(ids[i]);
      out[b.indices[i]] = fmt::format("{}", fmt::join(words, " "));
    }
  }
  return out;
}

// Mean of the finite losses over the `window` steps ending at `end`.
double window_mean(const std::vector<double>& losses, int64_t end, int64_t window) {
  double total = 0;
  int64_t n = 0;
  for (int64_t i = std::max<int64_t>(0, end - window); i < end; ++i)
    if (std::isfinite(losses[i])) total += losses[i], ++n;
  return n ? total / double(n) : NAN;
}

std::string number(double x) { return std::isfinite(x) ? fmt::format("{:.2f}", x) : "NaN"; }

}  // namespace

int run(const Recipe& recipe, int argc, char** argv) try {
  const Options o = parse(argc, argv);
  const auto started = std::chrono::steady_clock::now();
  const Data d = load(o);
  ModelShape shape;
  shape.source_vocab = d.src_vocab.size();
  shape.target_vocab = d.tgt_vocab.size();
  HandTransformer model(recipe, shape);
  Generator gen(1);
  model.reset_parameters(gen);

  data::BatchOptions bo;
  bo.max_tokens = o.max_tokens;
  bo.seed = 1;
  auto plan = data::plan_epoch(d.train_examples, bo, 0);
  fmt::print("{}: {} parameters, {} batches an epoch, {} steps\n", recipe.name, model.parameter_count(), plan.size(),
             o.steps);

  std::vector<std::string> failed;
  std::vector<int64_t> first_32(32);
  std::iota(first_32.begin(), first_32.end(), 0);  // lengths vary: the batch has padding
  for (const CheckResult& c :
       run_checks(model, recipe, shape, d.train_examples, data::make_batch(d.train_examples, first_32))) {
    fmt::print("  check {:<9} {}  ({})\n", c.name, c.passed ? "pass" : "FAIL", c.detail);
    if (!c.passed) failed.push_back(c.name);
  }
  std::fflush(stdout);
  if (o.checks_only) return std::set<std::string>(failed.begin(), failed.end()) == o.expect_failed ? 0 : 1;

  Adam opt(model.parameters(), {.lr = 0, .beta2 = 0.98, .eps = 1e-9});
  const Schedule lr = schedule(recipe.warmup, o.steps);
  std::vector<double> losses;
  int64_t nan_steps = 0, first_nan = -1, epoch = 0;
  for (int64_t step = 0, at = 0; step < o.steps; ++step, ++at) {
    if (at == static_cast<int64_t>(plan.size())) plan = data::plan_epoch(d.train_examples, bo, ++epoch), at = 0;
    losses.push_back(train_step(model, opt, data::make_batch(d.train_examples, plan[at]), lr(step)));
    if (!std::isfinite(losses.back()) && nan_steps++ == 0) first_nan = step + 1;
    if ((step + 1) % 50 == 0) {
      fmt::print("  step {:>5}  loss {}  lr {:.2e}\n", step + 1, number(window_mean(losses, step + 1, 50)), lr(step));
      std::fflush(stdout);  // the log shows progress while it runs
    }
  }
  const auto trained = std::chrono::steady_clock::now();

  const auto valid_batches = in_order(d.valid_examples, 2000);
  const double valid_loss = validation_loss(model, valid_batches);
  const std::vector<std::string> hypotheses = translate(model, d, valid_batches);
  const double bleu = metrics::corpus_bleu(hypotheses, d.valid.target).score;
  for (size_t i = 0; i < 2 && i < hypotheses.size(); ++i)
    fmt::print("  {}\n   → {}\n     ({})\n", d.valid.source[i], hypotheses[i], d.valid.target[i]);
  const auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  fmt::print("  trained in {:.0f} s, evaluated in {:.0f} s\n", seconds(started, trained),
             seconds(trained, std::chrono::steady_clock::now()));

  const int64_t window = std::max<int64_t>(1, o.steps / 20);
  std::string nan = nan_steps ? fmt::format("{} (first at {})", nan_steps, first_nan) : "0";
  fmt::print("row: | {} | {} | {} | {} | {} | {} | {:.2f} | {} | {} |\n", recipe.name,
             number(window_mean(losses, o.steps / 8, window)), number(window_mean(losses, o.steps / 4, window)),
             number(window_mean(losses, o.steps / 2, window)), number(window_mean(losses, o.steps, window)),
             number(valid_loss), bleu, nan, failed.empty() ? "none" : fmt::format("{}", fmt::join(failed, ", ")));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}: {}\n", recipe.name, e.what());
  return 1;
}

}  // namespace why
