"""Train a tiny GPT, a decoder-only Transformer, on Shakespeare's sonnets, one character at a time.

A language model learns the probability of the next token given the ones before it; sampling
from it, one token after another, writes new text. Here the tokens are characters (60 of them)
and the model is a miniature GPT (Radford et al., 2018):

- each character of a 64-character window becomes the sum of a *token* embedding (what it is)
  and a learned *position* embedding (where it is), a vector of 128 numbers;
- 4 Transformer blocks, each ``x + attention(LayerNorm(x))`` then ``x + MLP(LayerNorm(x))``
  (pre-norm: the residual path stays clean, so deep stacks train easily). In *causal
  self-attention* every position builds a query, a key and a value; it compares its query with
  the keys of itself and the positions before it (``is_causal=True`` hides the future, which it
  is asked to predict), turns the scores into weights with a softmax and averages those
  positions' values. 4 heads do this in parallel on 32-number slices, so one head can track the
  rhyme while another tracks the word being spelt. The MLP (128-512-128, GELU) then works on
  each position separately;
- a final LayerNorm and a linear layer give the logits of the next character at every position
  (its weight is the token-embedding matrix, *weight tying*, unless ``--no-tie``); the loss is
  the cross-entropy averaged over all 64 positions of all 32 windows of a batch.

AdamW (Adam with decoupled weight decay on the weight matrices) with a short warm-up and a
cosine decay trains it. About 0.8 M parameters on a 60 kB text: after 600 steps (about a minute on two CPU cores) the
validation loss is about 1.9 nats per character (it starts at ln 60 = 4.09), and samples have the
sonnets' layout, capitals and punctuation, and many real words, though little sense. Trained
longer, it starts to memorise the training text (watch the validation curve turn up).

    python examples/tiny_gpt.py [--steps 600] [--n-layer 4] [--n-head 4] [--n-embd 128] [--block 64]

Writes ``tiny_gpt.png`` (training and validation loss curves, and a generated sample) into ``--out``.
"""
import argparse
import math
import time
from pathlib import Path

from tqdm import tqdm

from _chars import SONNETS, CharText, figure_with_sample, save
import pydl
from pydl import nn
import pydl.nn.functional as F



def random_windows(data, batch_size, block, generator):
    """`batch_size` random windows of `block` characters of `data`, and the same windows shifted by one (the targets)."""
    starts = pydl.randint(0, len(data) - block - 1, (batch_size, 1), generator=generator)
    idx = starts + pydl.arange(block)  # (B, T) positions into the text
    return data[idx], data[idx + 1]


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, dropout):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(n_embd, 3 * n_embd)  # queries, keys and values of all heads in one matmul
        self.proj = nn.Linear(n_embd, n_embd)
        self.dropout = dropout
        self.resid_dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        # (B, T, C) -> (B, heads, T, C / heads): each head attends on its own slice
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0, is_causal=True)
        y = y.transpose(1, 2).reshape(B, T, C)  # heads side by side again
        return self.resid_dropout(self.proj(y))


class Block(nn.Module):
    def __init__(self, n_embd, n_head, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout)
        self.ln2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd),
                                 nn.Dropout(dropout))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))  # communicate: gather information from earlier positions
        return x + self.mlp(self.ln2(x))  # compute: on each position by itself


class GPT(nn.Module):
    def __init__(self, vocab_size, block, n_layer, n_head, n_embd, dropout=0.0, tie=True):
        super().__init__()
        self.block = block
        self.tok_emb = nn.Embedding(vocab_size, n_embd)
        self.pos_emb = nn.Embedding(block, n_embd)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.Sequential(*[Block(n_embd, n_head, dropout) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab_size, bias=False)
        for name, p in self.named_parameters():  # GPT-2's initialisation: small weights, zero biases
            if p.dim() >= 2:
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer) if name.endswith(("proj.weight", "2.weight"))
                                else 0.02)
            elif name.endswith("bias"):
                nn.init.zeros_(p)
        if tie:
            self.head.weight = self.tok_emb.weight  # one matrix to read characters in and to write them out

    def forward(self, idx):
        T = idx.shape[1]
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pydl.arange(T, device=idx.device)))
        return self.head(self.ln_f(self.blocks(x)))  # (B, T, vocab) logits of the next character

    @pydl.no_grad()
    def generate(self, idx, n, temperature=1.0, generator=None):
        """Append `n` characters to `idx` (B, T), each sampled from softmax(logits / temperature)."""
        for _ in range(n):
            logits = self(idx[:, -self.block:])[:, -1] / temperature  # the model sees at most `block` characters
            nxt = pydl.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)
            idx = pydl.cat([idx, nxt], dim=1)
        return idx


@pydl.no_grad()
def estimate_loss(model, data, args, generator, batches):
    model.eval()
    losses = {}
    for split in ("train", "val"):
        total = 0.0
        for _ in range(batches):
            windows = random_windows(data.train if split == "train" else data.val, args.batch_size, args.block, generator)
            x, y = (t.to(args.device) for t in windows)
            total += F.cross_entropy(model(x).flatten(0, 1), y.flatten()).item()
        losses[split] = total / batches
    model.train()
    return losses


def plot(history, sample, temperature, path):
    fig, ax = figure_with_sample(sample, temperature)
    ax.plot(history["train_loss"], lw=0.6, alpha=0.6, label="train (per batch)")
    ax.plot(history["eval_step"], history["eval_train"], "o-", ms=3, label="train (estimate)")
    ax.plot(history["eval_step"], history["val_loss"], "o-", ms=3, label="validation")
    ax.set_title("tiny GPT on the sonnets")
    ax.legend()
    save(fig, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--block", type=int, default=64, help="context length in characters")
    parser.add_argument("--n-layer", type=int, default=4)
    parser.add_argument("--n-head", type=int, default=4)
    parser.add_argument("--n-embd", type=int, default=128)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--no-tie", action="store_true", help="a separate output matrix instead of weight tying")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--eval-every", type=int, default=50)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--sample-chars", type=int, default=600)
    parser.add_argument("--text", type=Path, default=SONNETS)
    parser.add_argument("--device", default="cuda" if pydl.cuda.is_available() else "cpu")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a toy-sized model for a few steps, for CI")
    args = parser.parse_args(argv)
    if args.smoke:
        args.steps, args.batch_size, args.block, args.n_layer, args.n_head, args.n_embd = 30, 8, 32, 2, 2, 32
        args.eval_every, args.sample_chars = 15, 100

    pydl.manual_seed(args.seed)
    gen = pydl.Generator().manual_seed(args.seed)
    data = CharText(args.text)
    model = GPT(len(data), args.block, args.n_layer, args.n_head, args.n_embd, args.dropout,
                tie=not args.no_tie).to(args.device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{len(data.train)} training and {len(data.val)} validation characters, vocabulary of {len(data)}; "
          f"{n_params / 1e6:.2f} M parameters")
    # weight decay on the weight matrices only, not on biases, LayerNorm gains and the position table
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and n != "pos_emb.weight"]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or n == "pos_emb.weight"]
    optimizer = pydl.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                  {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.99))
    warmup = max(1, min(50, args.steps // 10))
    scheduler = pydl.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup) * (
        0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / args.steps)))))  # warm-up, then cosine to lr / 10
    history = {"train_loss": [], "eval_step": [], "eval_train": [], "val_loss": []}

    start = time.perf_counter()
    bar = tqdm(range(1, args.steps + 1), desc="steps", leave=False)
    for step in bar:
        x, y = (t.to(args.device) for t in random_windows(data.train, args.batch_size, args.block, gen))
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())  # every position predicts its next character
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        history["train_loss"].append(loss.item())
        bar.set_postfix(loss=f"{history['train_loss'][-1]:.3f}")
        if step % args.eval_every == 0 or step == args.steps:
            losses = estimate_loss(model, data, args, gen, 2 if args.smoke else 10)
            history["eval_step"].append(step)
            history["eval_train"].append(losses["train"])
            history["val_loss"].append(losses["val"])
            tqdm.write(f"step {step:5d}  train loss {losses['train']:.4f}  validation loss {losses['val']:.4f}")
    seconds = time.perf_counter() - start

    model.eval()
    prompt = pydl.tensor([data.encode("Shall I")], device=args.device)
    sample = data.decode(model.generate(prompt, args.sample_chars, args.temperature, gen)[0].tolist())
    print("sample:\n" + sample)
    history["sample"] = sample
    args.out.mkdir(parents=True, exist_ok=True)
    plot(history, sample, args.temperature, args.out / "tiny_gpt.png")
    print(f"tiny GPT ({args.n_layer} layers, {args.n_head} heads, {args.n_embd} wide, {n_params / 1e6:.2f} M "
          f"parameters): validation loss {history['val_loss'][-1]:.4f} after {args.steps} steps in {seconds:.1f} s "
          f"({args.device}); plot: {args.out / 'tiny_gpt.png'}")
    return history


if __name__ == "__main__":
    main()
