# torch_seq2seq.py — the PyTorch twin of qkv's models::Transformer with its default choices,
# shared by the PyTorch benchmarks (torch_train_step.py, torch_decode_bench.py) and the
# PyTorch trainer (torch_train_multi30k.py). It builds the same architecture, parameter for
# parameter, out of torch.nn.Transformer's layers:
#
#   token embedding · sqrt(D) + sinusoidal positions (a buffer), then dropout
#   post-norm encoder and decoder layers (nn.TransformerEncoderLayer / DecoderLayer, ReLU),
#     with NO final LayerNorm after either stack (nn.Transformer adds one by default; qkv's
#     post-norm model has none, so the stacks are passed in as custom_encoder/custom_decoder)
#   dropout on the residual branches and inside the feed-forward block, none on the attention
#     weights (qkv's attention_dropout defaults to 0, torch's layers use `dropout` there too,
#     so it is switched off on every nn.MultiheadAttention)
#   output projection tied to the target embedding, with its own bias (as qkv's)
#   no padding row in the embeddings (qkv has none either: pads are masked or ignored)
#
# Initialisation follows qkv's reset_parameters: Xavier-uniform on every matrix of the stacks
# (nn.Transformer's own _reset_parameters does exactly that), zero biases, N(0, D^-0.5)
# embeddings, the output bias zero. Tensors are batch-first: (B, T).
import math

import torch
import torch.nn as nn


def sinusoidal_table(length, d):
    # pe[p, 2i] = sin(p / 10000^(2i/D)), pe[p, 2i+1] = cos(p / 10000^(2i/D))
    pos = torch.arange(length, dtype=torch.float64).unsqueeze(1)           # (L, 1)
    freq = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * (-math.log(10000.0) / d))  # (D/2)
    pe = torch.zeros(length, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq)
    return pe.float()


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, d=256, heads=8, enc=3, dec=3, ffn=1024, dropout=0.1, max_len=256):
        super().__init__()
        self.d = d
        self.src_emb = nn.Embedding(src_vocab, d)
        self.tgt_emb = nn.Embedding(tgt_vocab, d)
        enc_layer = nn.TransformerEncoderLayer(d, heads, ffn, dropout, batch_first=True)
        dec_layer = nn.TransformerDecoderLayer(d, heads, ffn, dropout, batch_first=True)
        self.core = nn.Transformer(d, heads, batch_first=True,
                                   custom_encoder=nn.TransformerEncoder(enc_layer, enc, norm=None),
                                   custom_decoder=nn.TransformerDecoder(dec_layer, dec, norm=None))
        for m in self.core.modules():
            if isinstance(m, nn.MultiheadAttention):
                m.dropout = 0.0  # no dropout on attention weights, as qkv's default
        self.out_bias = nn.Parameter(torch.zeros(tgt_vocab))  # logits = h · tgt_emb.weightᵀ + out_bias
        self.register_buffer("pe", sinusoidal_table(max_len, d), persistent=False)
        self.drop = nn.Dropout(dropout)
        self.reset_parameters()

    def reset_parameters(self):
        for name, p in self.core.named_parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
            else:
                nn.init.zeros_(p)
        for name, p in self.core.named_parameters():
            if "norm" in name and name.endswith("weight"):
                nn.init.ones_(p)
        for emb in (self.src_emb, self.tgt_emb):
            nn.init.normal_(emb.weight, 0.0, self.d ** -0.5)
        nn.init.zeros_(self.out_bias)

    def embed(self, emb, ids, start=0):
        # ids (B, T) → (B, T, D)
        return self.drop(emb(ids) * math.sqrt(self.d) + self.pe[start:start + ids.size(1)])

    def encode(self, src, src_pad):
        # src (B, S), src_pad (B, S) bool true = pad → memory (B, S, D)
        return self.core.encoder(self.embed(self.src_emb, src), src_key_padding_mask=src_pad)

    def decode_states(self, tgt_in, memory, src_pad):
        # tgt_in (B, T) → final decoder states (B, T, D); causal self-attention, padded source keys masked
        T = tgt_in.size(1)
        causal = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        return self.core.decoder(self.embed(self.tgt_emb, tgt_in), memory, tgt_mask=causal,
                                 memory_key_padding_mask=src_pad)

    def decode(self, tgt_in, memory, src_pad):
        # tgt_in (B, T) → logits (B, T, V)
        return self.project(self.decode_states(tgt_in, memory, src_pad))

    def project(self, h):
        # h (..., D) → (..., V): the tied output projection
        return torch.nn.functional.linear(h, self.tgt_emb.weight, self.out_bias)

    def forward(self, src, src_pad, tgt_in):
        return self.decode(tgt_in, self.encode(src, src_pad), src_pad)


def closed_form_parameters(src_vocab, tgt_vocab, d, enc, dec, ffn):
    """The parameter count both implementations must have (tied output, post-norm, no final norms)."""
    attention = 4 * (d * d + d)
    feed_forward = d * ffn + ffn + ffn * d + d
    layer_norm = 2 * d
    encoder_layer = attention + feed_forward + 2 * layer_norm
    decoder_layer = 2 * attention + feed_forward + 3 * layer_norm
    return (src_vocab + tgt_vocab) * d + tgt_vocab + enc * encoder_layer + dec * decoder_layer


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())  # parameters() lists a shared tensor once
