# torch_decode_bench.py — PyTorch twin of bench/decode_bench.cpp: batched greedy decoding of the
# same 64 source sentences (the same LCG, so the same lengths and ids) with the same model shape
# (bench/torch_seq2seq.py: d=256, 8 heads, 3+3 layers, FFN 512, vocab 8000, random weights from
# seed 0), the way torch users decode with nn.Transformer: encode once, then at every step re-run
# the decoder on the whole growing prefix under a causal mask (nn.Transformer has no key/value
# cache) and project only its last position to the vocabulary for the argmax (as PyTorch's
# translation tutorial does), under torch.inference_mode() in eval mode.
# Every step runs on the full batch and there is no eos check, so exactly `steps` tokens are
# generated per sentence, as on the qkv side. Prints the median wall and CPU ms for the whole
# batch (encoder included); RESULT lines are for scripts/bench_decode.sh.
#
#   OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_decode_bench.py [threads] [repeats] [steps] [fp32|bf16]
#
# threads: 0 (default) keeps torch's default thread count; N calls torch.set_num_threads(N).
# bf16: the decoding runs under torch.autocast("cpu", dtype=torch.bfloat16), PyTorch's own
# mixed precision (matrix products in bfloat16), the twin of decode_bench's bf16.
import contextlib
import os
import resource
import sys
import time
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_seq2seq import Seq2Seq, closed_form_parameters, parameter_count  # noqa: E402

# The encoder's inference fast path packs padded sources into a nested tensor and says so.
warnings.filterwarnings("ignore", message="The PyTorch API of nested tensors")

SENTENCES, VOCAB, MIN_LENGTH, MAX_LENGTH = 64, 8000, 10, 20
BOS, EOS, PAD = 2, 3, 0


class Lcg:
    """The LCG decode_bench.cpp uses (Knuth's MMIX constants); value() is its top 31 bits."""

    def __init__(self, seed):
        self.state = seed

    def value(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return self.state >> 33


def make_sources():
    # → src (B, S) int64: ids + eos, then pad; src_pad (B, S) bool, true = pad
    lcg = Lcg(12345)
    sentences = []
    for _ in range(SENTENCES):
        length = MIN_LENGTH + lcg.value() % (MAX_LENGTH - MIN_LENGTH + 1)
        sentences.append([4 + lcg.value() % (VOCAB - 4) for _ in range(length)])
    S = max(len(s) for s in sentences) + 1
    src = torch.full((SENTENCES, S), PAD, dtype=torch.int64)
    for b, s in enumerate(sentences):
        src[b, :len(s)] = torch.tensor(s)
        src[b, len(s)] = EOS
    return src, src == PAD, sum(len(s) + 1 for s in sentences)


def greedy(model, src, src_pad, steps):
    # → (B, 1 + steps): bos, then the argmax token of every step
    memory = model.encode(src, src_pad)                       # (B, S, D)
    ys = torch.full((src.size(0), 1), BOS, dtype=torch.int64)
    for _ in range(steps):
        h = model.decode_states(ys, memory, src_pad)          # (B, t, D): the whole prefix again
        logits = model.project(h[:, -1])                      # (B, V): only the last position
        ys = torch.cat([ys, logits.argmax(dim=-1, keepdim=True)], dim=1)
    return ys


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    precision = sys.argv[4] if len(sys.argv) > 4 else "fp32"
    if repeats < 1 or steps < 1 or precision not in ("fp32", "bf16"):
        sys.exit("usage: torch_decode_bench.py [threads] [repeats >= 1] [steps >= 1] [fp32|bf16]")
    if threads > 0:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Seq2Seq(VOCAB, VOCAB, d=256, heads=8, enc=3, dec=3, ffn=512, dropout=0.1)
    params = parameter_count(model)
    expected = closed_form_parameters(VOCAB, VOCAB, 256, 3, 3, 512)
    if params != expected:
        sys.exit(f"torch_decode_bench: the model has {params} parameters, the closed form says {expected}")
    model.eval()
    src, src_pad, source_tokens = make_sources()
    wall, cpu = [], []
    autocast = contextlib.nullcontext()
    if precision == "bf16":
        autocast = torch.autocast("cpu", dtype=torch.bfloat16)
        # torch 1.13's inference fast paths (nn.TransformerEncoderLayer, nn.MultiheadAttention)
        # step aside under autocast, but test only CUDA's (torch.is_autocast_enabled): under CPU
        # autocast they get bfloat16 weights with float inputs and fail. Let them see CPU's.
        torch.is_autocast_enabled = torch.is_autocast_cpu_enabled
    with torch.inference_mode(), autocast:
        for i in range(repeats + 1):  # one untimed warm-up
            start, cpu_start = time.perf_counter(), time.process_time()
            ys = greedy(model, src, src_pad, steps)
            if i > 0:
                wall.append(time.perf_counter() - start)
                cpu.append(time.process_time() - cpu_start)
    assert ys.shape == (SENTENCES, steps + 1), ys.shape
    generated = SENTENCES * steps
    ms, cpu_ms = sorted(wall)[len(wall) // 2] * 1000, sorted(cpu)[len(cpu) // 2] * 1000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"torch greedy {precision}: {SENTENCES} sentences ({source_tokens} source tokens, S = {src.size(1)}), {steps} steps, "
          f"{generated} tokens generated; {params} parameters; {ms:.1f} ms ({cpu_ms:.1f} ms CPU), "
          f"{generated / ms * 1000:.0f} tokens/s, peak RSS {peak:.0f} MB (threads {torch.get_num_threads()})")
    print(f"RESULT ms {ms:.3f}")
    print(f"RESULT cpu_ms {cpu_ms:.3f}")
    print(f"RESULT peak_mb {peak:.1f}")
    print(f"RESULT params {params}")
    print(f"RESULT generated {generated}")


if __name__ == "__main__":
    main()
