# torch_train_multi30k.py — a PyTorch trainer with qkv's first Multi30k recipe
# (examples/multi30k_d256.toml: the plain defaults of train/train_options.h and
# models/transformer_config.h, qkv train's until December 2026), for comparing `qkv train` with
# what PyTorch reaches in the same wall time on the same machine. It trains en→de for a wall-time
# budget, validates (loss) after every epoch, then greedy-decodes the test set, writes the
# translations (one per line, tokens joined by spaces, no specials) and prints their corpus BLEU.
#
#   /usr/bin/python3 bench/torch_train_multi30k.py --minutes 30 --output runs/torch/test.hyp.de
#   build/qkv eval --hypothesis runs/torch/test.hyp.de --reference data/multi30k/test_2016_flickr.de
#
# The recipe, as qkv's trainer does it:
#   text     whitespace tokens (ASCII whitespace, as qkv's tokenizer); one vocabulary per side from
#            the training sentences: <pad>=0 <unk>=1 <bos>=2 <eos>=3, then every token seen at
#            least --min-freq times, most frequent first, ties in byte order
#   pairs    longer than --max-length tokens on either side are dropped from training
#   batches  source = ids + eos, target_in = bos + ids, target_out = ids + eos, pad-padded; the
#            examples sorted by (target length, source length, random key) and cut greedily into
#            batches with B · max(S, T) <= --max-tokens; batch order shuffled every epoch
#   model    bench/torch_seq2seq.py: d=256, 8 heads, 3+3 post-norm layers, FFN 512, dropout 0.1,
#            sinusoidal positions, embeddings · sqrt(d), output tied to the target embedding
#   training Adam β=(0.9, --beta2) ε=1e-9, lr = peak · min(n/warmup, sqrt(warmup/n)) with
#            n = step + 1, label-smoothed cross-entropy (mean over target tokens), gradient norm
#            clipped to --clip-norm; a step with a non-finite loss or norm is skipped
#   budget   --minutes of wall time from the first step, per-epoch validation included (as qkv's
#            --max-minutes); when it runs out mid-epoch the model is validated once more
#   valid    loss = summed cross-entropy (no smoothing) / target tokens, and its perplexity
#   decode   greedy, batched by source length, up to (source length + eos) + 50 tokens per
#            sentence (at most 256 positions), stopping at eos; nn.Transformer has no key/value
#            cache, so every step re-runs the decoder on the prefix (rows that finished leave the
#            batch)
# Random streams (weights, dropout, batch order) are seeded from --seed but are not qkv's, so
# the two runs see the same recipe, not the same numbers.
#
# Threads: --threads N calls torch.set_num_threads(N); --threads 0 (default) times a few
# forward/backward passes with 1 thread and with one per core at the start and keeps the faster.
import argparse
import math
import os
import random
import re
import sys
import time
import warnings
from collections import Counter

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_seq2seq import Seq2Seq, parameter_count  # noqa: E402

# The encoder's inference fast path packs padded sources into a nested tensor and says so.
warnings.filterwarnings("ignore", message="The PyTorch API of nested tensors")

PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>"]
WORD = re.compile(r"[^ \t\n\v\f\r]+")  # qkv's whitespace tokenizer splits on ASCII whitespace only


# ---- text ----------------------------------------------------------------------------------

def read_lines(path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def tokenize(line):
    return WORD.findall(line)


class Vocab:
    def __init__(self, sentences, min_freq):
        counts = Counter(token for sentence in sentences for token in sentence)
        for special in SPECIALS:
            counts.pop(special, None)  # a token spelled like a special maps to the special
        kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t.encode()))
        self.itos = SPECIALS + kept
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens):
        return [self.stoi.get(t, UNK) for t in tokens]

    def decode(self, ids):
        # Stops at the first eos, drops pad and bos.
        out = []
        for i in ids:
            if i == EOS:
                break
            if i not in (PAD, BOS):
                out.append(self.itos[i])
        return out


# ---- batches -------------------------------------------------------------------------------

def plan_epoch(examples, max_tokens, seed, epoch, shuffle=True):
    # → lists of example indices, B · max(S, T) <= max_tokens each (S, T counting eos/bos)
    rng = random.Random(seed * 1_000_003 + epoch)
    entries = sorted((len(t), len(s), rng.random() if shuffle else 0.0, i) for i, (s, t) in enumerate(examples))
    batches, current, width = [], [], 0
    for lt, ls, _, i in entries:
        w = max(ls, lt) + 1
        if current and (len(current) + 1) * max(width, w) > max_tokens:
            batches.append(current)
            current, width = [], 0
        current.append(i)
        width = max(width, w)
    if current:
        batches.append(current)
    if shuffle:
        rng.shuffle(batches)
    return batches


def make_batch(examples, indices):
    # → source (B, S), source_pad (B, S) bool, target_in (B, T), target_out (B, T), target tokens
    S = max(len(examples[i][0]) for i in indices) + 1
    T = max(len(examples[i][1]) for i in indices) + 1
    B = len(indices)
    source = torch.full((B, S), PAD, dtype=torch.int64)
    target_in = torch.full((B, T), PAD, dtype=torch.int64)
    target_out = torch.full((B, T), PAD, dtype=torch.int64)
    tokens = 0
    for b, i in enumerate(indices):
        s, t = examples[i]
        source[b, :len(s) + 1] = torch.tensor(s + [EOS])
        target_in[b, :len(t) + 1] = torch.tensor([BOS] + t)
        target_out[b, :len(t) + 1] = torch.tensor(t + [EOS])
        tokens += len(t) + 1
    return source, source == PAD, target_in, target_out, tokens


# ---- BLEU ----------------------------------------------------------------------------------

def corpus_bleu(hypotheses, references):
    """Corpus BLEU on whitespace-split text: 4-gram precisions, brevity penalty, no smoothing.
    Returns (score 0..100, [p1..p4] in %, hypothesis length, reference length)."""
    matches, totals = [0] * 4, [0] * 4
    hyp_len = ref_len = 0
    for hyp, ref in zip(hypotheses, references, strict=True):
        h, r = hyp.split(), ref.split()
        hyp_len += len(h)
        ref_len += len(r)
        for n in range(1, 5):
            h_grams = Counter(tuple(h[k:k + n]) for k in range(len(h) - n + 1))
            r_grams = Counter(tuple(r[k:k + n]) for k in range(len(r) - n + 1))
            matches[n - 1] += sum(min(c, r_grams[g]) for g, c in h_grams.items())
            totals[n - 1] += max(len(h) - n + 1, 0)
    precisions = [m / t if t > 0 else 0.0 for m, t in zip(matches, totals)]
    if hyp_len == 0 or min(precisions) == 0:
        score = 0.0
    else:
        bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
        score = 100 * bp * math.exp(sum(math.log(p) for p in precisions) / 4)
    return score, [100 * p for p in precisions], hyp_len, ref_len


# ---- training ------------------------------------------------------------------------------

def lr_at(step, peak, warmup):
    n = step + 1
    return peak * min(n / warmup, math.sqrt(warmup / n))


def train_step(model, optimizer, batch, vocab_size, args):
    source, source_pad, target_in, target_out, _ = batch
    logits = model(source, source_pad, target_in)  # (B, T, V)
    loss = F.cross_entropy(logits.reshape(-1, vocab_size), target_out.reshape(-1), ignore_index=PAD,
                           label_smoothing=args.label_smoothing)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    params = [p for p in model.parameters() if p.grad is not None]
    if args.clip_norm > 0:
        norm = float(torch.nn.utils.clip_grad_norm_(params, args.clip_norm))
    else:
        norm = float(torch.norm(torch.stack([p.grad.norm() for p in params])))
    value = loss.item()
    if math.isfinite(norm) and math.isfinite(value):
        optimizer.step()
    return value, norm


def choose_threads(model, batch, vocab_size, args):
    # Times forward + backward (no update) with each candidate thread count; keeps the faster.
    candidates = sorted({1, os.cpu_count() or 1})
    if len(candidates) == 1:
        return candidates[0]
    source, source_pad, target_in, target_out, _ = batch
    timings = {}
    for threads in candidates:
        torch.set_num_threads(threads)
        times = []
        for _ in range(4):  # the first is a warm-up
            start = time.perf_counter()
            logits = model(source, source_pad, target_in)
            loss = F.cross_entropy(logits.reshape(-1, vocab_size), target_out.reshape(-1), ignore_index=PAD,
                                   label_smoothing=args.label_smoothing)
            loss.backward()
            times.append(time.perf_counter() - start)
        model.zero_grad(set_to_none=True)
        timings[threads] = sorted(times[1:])[1]
    best = min(timings, key=timings.get)
    print("threads: " + ", ".join(f"{t} → {s * 1000:.0f} ms" for t, s in timings.items()) + f"; using {best}")
    return best


@torch.no_grad()
def validate(model, examples, vocab_size, max_tokens):
    # → (loss per target token, perplexity): summed cross-entropy without smoothing
    model.eval()
    total, tokens = 0.0, 0
    for indices in plan_epoch(examples, max_tokens, 0, 0, shuffle=False):
        source, source_pad, target_in, target_out, n = make_batch(examples, indices)
        logits = model(source, source_pad, target_in)
        total += F.cross_entropy(logits.reshape(-1, vocab_size), target_out.reshape(-1), ignore_index=PAD,
                                 reduction="sum").item()
        tokens += n
    model.train()
    loss = total / max(tokens, 1)
    return loss, math.exp(min(loss, 700))


@torch.inference_mode()
def greedy_translate(model, sources, max_tokens, max_positions):
    # sources: id lists (no eos) → one id list per sentence (no bos/eos)
    model.eval()
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    results = [None] * len(sources)
    k = 0
    while k < len(order):
        group = [order[k]]
        k += 1
        while k < len(order) and (len(sources[order[k]]) + 1) * (len(group) + 1) <= max_tokens:
            group.append(order[k])
            k += 1
        S = max(len(sources[i]) for i in group) + 1
        src = torch.full((len(group), S), PAD, dtype=torch.int64)
        for b, i in enumerate(group):
            src[b, :len(sources[i]) + 1] = torch.tensor(sources[i] + [EOS])
        pad = src == PAD
        limits = [min(len(sources[i]) + 1 + 50, max_positions) for i in group]
        memory = model.encode(src, pad)                              # (B, S, D)
        ys = torch.full((len(group), 1), BOS, dtype=torch.int64)     # (A, t): live rows' prefixes
        live = list(range(len(group)))                               # group position of each live row
        outs = [[] for _ in group]
        while live:
            rows = torch.tensor(live)
            h = model.decode_states(ys, memory[rows], pad[rows])     # (A, t, D)
            nxt = model.project(h[:, -1]).argmax(dim=-1).tolist()    # (A)
            keep = []
            for r, g in enumerate(live):
                if nxt[r] == EOS:
                    continue
                outs[g].append(nxt[r])
                if len(outs[g]) < limits[g]:
                    keep.append(r)
            if not keep:
                break
            keep_t = torch.tensor(keep)
            ys = torch.cat([ys[keep_t], torch.tensor([nxt[r] for r in keep]).unsqueeze(1)], dim=1)
            live = [live[r] for r in keep]
        for g, i in enumerate(group):
            results[i] = outs[g]
    model.train()
    return results


def main():
    p = argparse.ArgumentParser(description="Train qkv's Multi30k recipe in PyTorch, then translate and score the test set.")
    p.add_argument("--data", default="data/multi30k", help="directory with train/val/test_2016_flickr .en/.de")
    p.add_argument("--output", default="runs/torch_multi30k/test_2016_flickr.hyp.de", help="translations file")
    p.add_argument("--minutes", type=float, default=30, help="wall-time budget for training (validation included)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--max-steps", type=int, default=0, help="0: no limit")
    p.add_argument("--threads", type=int, default=0, help="torch threads; 0: time 1 and one per core, keep the faster")
    p.add_argument("--min-freq", type=int, default=2)
    p.add_argument("--max-length", type=int, default=100)
    p.add_argument("--max-tokens", type=int, default=2048)
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    p.add_argument("--warmup", type=int, default=400)
    p.add_argument("--beta2", type=float, default=0.98)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--clip-norm", type=float, default=1.0, help="0: no clipping")
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--d-model", type=int, default=256)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--layers", type=int, default=3, help="encoder and decoder layers each")
    p.add_argument("--ffn", type=int, default=512)
    p.add_argument("--max-positions", type=int, default=256)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--test-sentences", type=int, default=0, help="0: the whole test set; else its first N (smoke tests)")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    path = lambda name: os.path.join(args.data, name)  # noqa: E731
    train_src = [tokenize(line) for line in read_lines(path("train.en"))]
    train_tgt = [tokenize(line) for line in read_lines(path("train.de"))]
    src_vocab, tgt_vocab = Vocab(train_src, args.min_freq), Vocab(train_tgt, args.min_freq)
    train = [(src_vocab.encode(s), tgt_vocab.encode(t)) for s, t in zip(train_src, train_tgt, strict=True)]
    kept = [ex for ex in train if len(ex[0]) <= args.max_length and len(ex[1]) <= args.max_length]
    valid = [(src_vocab.encode(tokenize(s)), tgt_vocab.encode(tokenize(t)))
             for s, t in zip(read_lines(path("val.en")), read_lines(path("val.de")), strict=True)]
    test_source = read_lines(path("test_2016_flickr.en"))
    test_reference = read_lines(path("test_2016_flickr.de"))
    if args.test_sentences > 0:
        test_source, test_reference = test_source[:args.test_sentences], test_reference[:args.test_sentences]

    model = Seq2Seq(len(src_vocab), len(tgt_vocab), args.d_model, args.heads, args.layers, args.layers, args.ffn,
                    args.dropout, args.max_positions)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, args.beta2), eps=1e-9)
    print(f"torch train: {len(kept)} training pairs ({len(train) - len(kept)} dropped as longer than "
          f"{args.max_length}), {len(valid)} validation pairs")
    print(f"torch train: vocabularies {len(src_vocab)} (source) and {len(tgt_vocab)} (target); model "
          f"{parameter_count(model)} parameters")
    V = len(tgt_vocab)
    model.train()
    first = plan_epoch(kept, args.max_tokens, args.seed, 0)
    probe = make_batch(kept, max(first, key=len))
    torch.set_num_threads(args.threads if args.threads > 0 else choose_threads(model, probe, V, args))
    torch.manual_seed(args.seed)  # dropout's stream does not depend on the probing above

    start = time.perf_counter()
    elapsed = lambda: time.perf_counter() - start  # noqa: E731
    step, stop = 0, None
    for epoch in range(args.epochs):
        plan = first if epoch == 0 else plan_epoch(kept, args.max_tokens, args.seed, epoch)
        window_start, window_tokens, losses = time.perf_counter(), 0, []
        for k, indices in enumerate(plan):
            batch = make_batch(kept, indices)
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, args.lr, args.warmup)
            loss, norm = train_step(model, optimizer, batch, V, args)
            step += 1
            losses.append(loss)
            window_tokens += batch[4] + int((~batch[1]).sum())
            if time.perf_counter() - window_start > 30 or k + 1 == len(plan):
                rate = window_tokens / (time.perf_counter() - window_start)
                print(f"epoch {epoch + 1} batch {k + 1}/{len(plan)} step {step}: loss {sum(losses) / len(losses):.3f} "
                      f"lr {lr_at(step - 1, args.lr, args.warmup):.1e} norm {norm:.2f} {rate / 1000:.1f}k tok/s "
                      f"{elapsed() / 60:.1f} min", flush=True)
                window_start, window_tokens, losses = time.perf_counter(), 0, []
            if args.max_steps > 0 and step >= args.max_steps:
                stop = "step limit"
            elif elapsed() >= args.minutes * 60:
                stop = "time limit"
            if stop:
                break
        loss, ppl = validate(model, valid, V, args.max_tokens)
        print(f"epoch {epoch + 1:>3}  step {step:>6}  valid loss {loss:.3f}  ppl {ppl:.2f}  "
              f"({elapsed() / 60:.1f} min elapsed{', ' + stop if stop else ''})", flush=True)
        if stop:
            break
    print(f"torch train: stopped ({stop or 'all epochs done'}) after {step} steps, {elapsed() / 60:.1f} min")

    start_decoding = time.perf_counter()
    ids = greedy_translate(model, [src_vocab.encode(tokenize(s)) for s in test_source], args.max_tokens,
                           args.max_positions)
    hypotheses = [" ".join(tgt_vocab.decode(h)) for h in ids]
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as f:
        f.writelines(h + "\n" for h in hypotheses)
    score, precisions, hyp_len, ref_len = corpus_bleu(hypotheses, test_reference)
    print(f"torch train: {len(hypotheses)} test translations in {time.perf_counter() - start_decoding:.0f} s → "
          f"{args.output}")
    print(f"BLEU = {score:.2f} {'/'.join(f'{x:.1f}' for x in precisions)} (BP = "
          f"{1.0 if hyp_len > ref_len or hyp_len == 0 else math.exp(1 - ref_len / hyp_len):.3f} "
          f"ratio = {hyp_len / max(ref_len, 1):.3f} hyp_len = {hyp_len} ref_len = {ref_len})")


if __name__ == "__main__":
    main()
