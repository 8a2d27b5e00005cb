# torch_rnn_seq2seq.py — the PyTorch twin of qkv's models::RnnSeq2Seq (models/rnn_seq2seq.h and
# models/rnn_decoder.h): the oracle of the RNN parity test (rnn_seq2seq_parity.py, beside it),
# also timed by the RNN training-step benchmark (bench/torch_rnn_train_step.py). Same architecture, same parameter
# names and shapes, so a qkv checkpoint's "model/<name>" tensors are this module's state_dict:
#
#   source_embedding, target_embedding        nn.Embedding (E), dropout after each
#   encoder                                   nn.GRU / nn.LSTM, batch first, (bi)directional,
#                                             run on packed sequences (each row's length)
#   decoder.bridge                            s_0 = tanh(bridge(mean_j h_j)), one slice per layer
#   decoder.layers.N                          nn.GRUCell / nn.LSTMCell; layer 0 reads [y_t; c_t]
#   decoder.query_projection                  only when Hd != K (no bias)
#   decoder.attention                         additive (w_q, w_k, v), bilinear (weight) or
#                                             cosine (log_scale), one head
#   decoder.readout                           o_t = dropout(tanh(readout([s_t; c_t; y_t])))
#   output_projection                         logits = o_t · Wᵀ + bias, W = target_embedding.weight
#                                             when tied (then output_projection has only a bias)
#
# Step t: q = s_{t-1} (top layer; projected when Hd != K); α = softmax over unpadded source
# positions of score(q, h_j); c_t = Σ α_j h_j; layer 0: s_t = cell([y_t; c_t], s_{t-1}); layer
# l > 0 reads dropout(s_t of layer l - 1). An LSTM's cell states start at zero. Initialisation
# as qkv's reset_parameters: embeddings N(0, 1/E), recurrent weights U(±1/√H) (torch's own),
# Linear layers torch's default, attention parameters as qkv's variants, output bias zero.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def unit(x, eps):
    # x / sqrt(|x|² + eps²) along the last axis: qkv's cosine attention's normalisation
    return x / torch.sqrt((x * x).sum(-1, keepdim=True) + eps * eps)


class Additive(nn.Module):
    """score = vᵀ tanh(W_q q + W_k h), hidden = K (qkv's "additive", one head)."""

    def __init__(self, k):
        super().__init__()
        self.w_q = nn.Parameter(torch.empty(1, k, k).uniform_(-1 / math.sqrt(k), 1 / math.sqrt(k)))
        self.w_k = nn.Parameter(torch.empty(1, k, k).uniform_(-1 / math.sqrt(k), 1 / math.sqrt(k)))
        self.v = nn.Parameter(torch.empty(1, k).uniform_(-1 / math.sqrt(k), 1 / math.sqrt(k)))

    def prepare(self, keys):  # (B, S, K) → (B, S, hidden), once per batch
        return keys @ self.w_k[0].t()

    def forward(self, q, prepared):  # q (B, K) → scores (B, S)
        features = torch.tanh((q @ self.w_q[0].t()).unsqueeze(1) + prepared)  # (B, S, hidden)
        return features @ self.v[0]


class Bilinear(nn.Module):
    """score = qᵀ W h (qkv's "bilinear", Luong's general)."""

    def __init__(self, k):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(1, k, k).uniform_(-1 / math.sqrt(k), 1 / math.sqrt(k)))

    def prepare(self, keys):
        return keys

    def forward(self, q, keys):
        return torch.bmm(keys, (q @ self.weight[0]).unsqueeze(2)).squeeze(2)  # (B, S)


class Cosine(nn.Module):
    """score = cos(q, h) · exp(log_scale), initial scale √K (qkv's "cosine")."""

    def __init__(self, k, eps=1e-8):
        super().__init__()
        self.eps = eps
        self.log_scale = nn.Parameter(torch.full((1,), math.log(math.sqrt(k))))

    def prepare(self, keys):
        return unit(keys, self.eps)

    def forward(self, q, unit_keys):
        return torch.bmm(unit_keys, unit(q, self.eps).unsqueeze(2)).squeeze(2) * torch.exp(self.log_scale)


ATTENTION = {"additive": Additive, "bilinear": Bilinear, "cosine": Cosine}


class Decoder(nn.Module):
    def __init__(self, cell, emb, k, hidden, layers, attention, dropout):
        super().__init__()
        self.lstm, self.hidden, self.dropout = cell == "lstm", hidden, dropout
        self.bridge = nn.Linear(k, layers * hidden)
        cell_type = nn.LSTMCell if self.lstm else nn.GRUCell
        self.layers = nn.ModuleList([cell_type(emb + k if l == 0 else hidden, hidden) for l in range(layers)])
        self.query_projection = nn.Linear(hidden, k, bias=False) if hidden != k else None
        self.attention = ATTENTION[attention](k)
        self.readout = nn.Linear(hidden + k + emb, emb)

    def forward(self, y, memory, src_padding, lengths):
        """y (B, T, E), memory (B, S, K), src_padding (B, S) bool → readout (B, T, E), weights (B, T, S)."""
        s0 = torch.tanh(self.bridge(memory.sum(1) / lengths.unsqueeze(1).to(memory.dtype)))  # (B, L·Hd)
        h = list(s0.split(self.hidden, 1))
        c = [torch.zeros_like(h[0]) for _ in h] if self.lstm else None
        keys = self.attention.prepare(memory)
        tops, contexts, alignments = [], [], []
        for t in range(y.shape[1]):
            q = h[-1] if self.query_projection is None else self.query_projection(h[-1])
            scores = self.attention(q, keys).masked_fill(src_padding, float("-inf"))  # (B, S)
            alpha = torch.softmax(scores, -1)
            context = torch.bmm(alpha.unsqueeze(1), memory).squeeze(1)  # (B, K)
            for l, cell in enumerate(self.layers):
                x = torch.cat([y[:, t], context], -1) if l == 0 else F.dropout(h[l - 1], self.dropout, self.training)
                if self.lstm:
                    h[l], c[l] = cell(x, (h[l], c[l]))
                else:
                    h[l] = cell(x, h[l])
            tops.append(h[-1])
            contexts.append(context)
            alignments.append(alpha)
        features = torch.cat([torch.stack(tops, 1), torch.stack(contexts, 1), y], -1)  # (B, T, Hd + K + E)
        o = F.dropout(torch.tanh(self.readout(features)), self.dropout, self.training)
        return o, torch.stack(alignments, 1)


class OutputProjection(nn.Module):
    def __init__(self, emb, vocab, own_weight):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(vocab, emb)) if own_weight else None
        if own_weight:
            nn.init.xavier_uniform_(self.weight)
        self.bias = nn.Parameter(torch.zeros(vocab))

    def forward(self, o, tied):
        return o @ (tied if self.weight is None else self.weight).t() + self.bias


class RnnSeq2Seq(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, cell="gru", emb=256, enc_hidden=256, enc_layers=1, bidirectional=True,
                 dec_hidden=512, dec_layers=1, attention="additive", dropout=0.3, tie_output=True):
        super().__init__()
        k = (2 if bidirectional else 1) * enc_hidden
        self.dropout = dropout
        self.source_embedding = nn.Embedding(src_vocab, emb)
        self.target_embedding = nn.Embedding(tgt_vocab, emb)
        for e in (self.source_embedding, self.target_embedding):
            nn.init.normal_(e.weight, 0.0, 1 / math.sqrt(emb))
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.encoder = rnn(emb, enc_hidden, enc_layers, batch_first=True, bidirectional=bidirectional,
                           dropout=dropout if enc_layers > 1 else 0.0)
        self.decoder = Decoder(cell, emb, k, dec_hidden, dec_layers, attention, dropout)
        self.output_projection = OutputProjection(emb, tgt_vocab, not tie_output)

    def forward(self, src, src_padding, tgt_in, need_weights=False):
        """src (B, S), src_padding (B, S) bool (True = pad, after the tokens), tgt_in (B, T) → logits (B, T, V)."""
        lengths = (~src_padding).sum(1)  # (B)
        x = F.dropout(self.source_embedding(src), self.dropout, self.training)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        memory, _ = pad_packed_sequence(self.encoder(packed)[0], batch_first=True, total_length=src.shape[1])
        y = F.dropout(self.target_embedding(tgt_in), self.dropout, self.training)
        o, weights = self.decoder(y, memory, src_padding, lengths)
        logits = self.output_projection(o, self.target_embedding.weight)
        return (logits, weights) if need_weights else logits


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())
