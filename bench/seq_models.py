"""Sequence-model rows of the train suite: an LSTM and scaled dot-product attention, forward
plus backward, the same code for pydl and torch.

- LSTM: the word-language-model shape (seq 35, batch 20, 200 inputs and hidden units, 2
  layers), torch's initialisation copied into pydl; one call is forward, the sum of the output,
  backward.
- SDPA: B=8, H=8, L=256, D=64 (and the causal variant); one call is forward and backward of
  sum(attention(q, k, v)), inputs requiring grad.
"""
import numpy as np
import torch

import pydl

from harness import Case

LSTM_SHAPE = (35, 20, 200)
SDPA_SHAPE = (8, 8, 256, 64)


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


def cases() -> list:
    rows = [Case("LSTM 2x200 seq35 b20 fwd+bwd", LSTM_SHAPE, "float32", lstm_step(pydl), lstm_step(torch),
                 bytes=None, tol=(1e-4, 1e-2))]
    for causal in (False, True):
        rows.append(Case(f"SDPA 8x8x256x64{' causal' if causal else ''} fwd+bwd", SDPA_SHAPE, "float32",
                         sdpa_step(pydl, causal), sdpa_step(torch, causal), inputs=3, bytes=None,
                         flops=sdpa_flops(causal), tol=(1e-3, 1e-4)))
    return rows
