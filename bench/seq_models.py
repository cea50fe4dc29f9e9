"""Sequence-model rows of the train suite: an LSTM and scaled dot-product attention, forward
plus backward, the same code for pydl and torch.

- LSTM: the word-language-model shape (seq 35, batch 20, 200 inputs and hidden units, 2
  layers), torch's initialisation copied into pydl; one call is forward, the sum of the output,
  backward.
- SDPA: B=8, H=8, L=256, D=64 (and the causal variant); one call is forward and backward of
  sum(attention(q, k, v)), inputs requiring grad.
- tiny GPT: examples/tiny_gpt.py's model (4 pre-norm blocks, 4 heads, 128 wide, 64-character
  context, 60-character vocabulary, tied embeddings, no dropout) on a batch of 32 windows; one
  call is a whole training step (zero_grad, forward, cross-entropy over every position,
  backward, clip_grad_norm_, AdamW step), so the ratio of times is the ratio of steps/s.
"""
import numpy as np
import torch

import pydl

from harness import Case

LSTM_SHAPE = (35, 20, 200)
SDPA_SHAPE = (8, 8, 256, 64)
GPT = dict(vocab=60, block=64, n_layer=4, n_head=4, n_embd=128, batch=32)


def lstm_step(lib):
    built = {}

    def step(x):
        key = lib.get_num_threads()
        if key not in built:
            torch.manual_seed(0)
            reference = torch.nn.LSTM(200, 200, 2)
            model = reference if lib is torch else lib.nn.LSTM(200, 200, 2)
            if lib is not torch:
                model.load_state_dict({k: lib.from_numpy(v.detach().numpy().copy())
                                       for k, v in reference.state_dict().items()})
            built[key] = model
        model = built[key]
        model.zero_grad()
        out, _ = model(x)
        loss = out.sum()
        loss.backward()
        return loss.detach()
    return step


def sdpa_step(lib, causal):
    def step(q, k, v):
        q, k, v = (t.detach().requires_grad_() for t in (q, k, v))
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
        out.sum().backward()
        return q.grad
    return step


def sdpa_flops(causal):
    B, H, L, D = SDPA_SHAPE
    full = 2 * 2 * B * H * L * L * D * 3.5  # forward QK^T and PV, backward five products (2.5x)
    return int(full / 2 if causal else full)


def gpt_model(lib):
    """The tiny GPT, spelled once for pydl or torch (`lib`)."""
    nn, F = lib.nn, lib.nn.functional
    V, T, L, H, C = (GPT[k] for k in ("vocab", "block", "n_layer", "n_head", "n_embd"))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.qkv, self.proj = nn.LayerNorm(C), nn.Linear(C, 3 * C), nn.Linear(C, C)
            self.ln2 = nn.LayerNorm(C)
            self.mlp = nn.Sequential(nn.Linear(C, 4 * C), nn.GELU(), nn.Linear(4 * C, C))

        def forward(self, x):
            B = x.shape[0]
            q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in self.qkv(self.ln1(x)).split(C, dim=2))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, C)
            x = x + self.proj(y)
            return x + self.mlp(self.ln2(x))

    class TinyGPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_emb, self.pos_emb = nn.Embedding(V, C), nn.Embedding(T, C)
            self.blocks = nn.Sequential(*[Block() for _ in range(L)])
            self.ln_f, self.head = nn.LayerNorm(C), nn.Linear(C, V, bias=False)
            self.head.weight = self.tok_emb.weight

        def forward(self, idx):
            x = self.tok_emb(idx) + self.pos_emb(lib.arange(T))
            return self.head(self.ln_f(self.blocks(x)))

    return TinyGPT()


def gpt_batch(rng):
    """32 windows of random character indices and their targets."""
    shape = (GPT["batch"], GPT["block"])
    return [rng.integers(0, GPT["vocab"], shape).astype(np.int64), rng.integers(0, GPT["vocab"], shape).astype(np.int64)]


def gpt_step(lib):
    built = {}

    def step(x, y):
        key = lib.get_num_threads()
        if key not in built:  # torch's initialisation, copied into pydl: the first losses must agree
            torch.manual_seed(0)
            reference = gpt_model(torch)
            model = reference
            if lib is not torch:
                model = gpt_model(lib)
                model.load_state_dict({k: lib.from_numpy(v.detach().numpy().copy())
                                       for k, v in reference.state_dict().items()})
            built[key] = model, lib.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
        model, optimizer = built[key]
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.detach()
    return step


def cases() -> list:
    rows = [Case("LSTM 2x200 seq35 b20 fwd+bwd", LSTM_SHAPE, "float32", lstm_step(pydl), lstm_step(torch),
                 bytes=None, tol=(1e-4, 1e-2))]
    for causal in (False, True):
        rows.append(Case(f"SDPA 8x8x256x64{' causal' if causal else ''} fwd+bwd", SDPA_SHAPE, "float32",
                         sdpa_step(pydl, causal), sdpa_step(torch, causal), inputs=3, bytes=None,
                         flops=sdpa_flops(causal), tol=(1e-3, 1e-4)))
    rows.append(Case("train step tiny GPT 4x128 b32x64 AdamW", (GPT["batch"], GPT["block"]), "float32",
                     gpt_step(pydl), gpt_step(torch), inputs=gpt_batch, bytes=None, tol=(1e-4, 1e-5)))
    return rows
