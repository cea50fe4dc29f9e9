"""Teach a GRU encoder-decoder with attention to sort a string of digits.

A *sequence-to-sequence* model reads one sequence and writes another, here "5 0 8 2 2 9 1 4 7 3 0 6"
-> "0 0 1 2 2 3 4 5 6 7 8 9". The *encoder* (an embedding and a GRU) reads the input digits and keeps
its hidden state at every position: a memory of each digit in its context. The *decoder* (its
own embedding and GRU, started from the encoder's final state) writes the output one digit at a
time, each step fed the digit written before it (a start token first).

A fixed-size final state is a bottleneck: to write the k-th smallest digit the decoder must
know where that digit sits. *Attention* (Luong et al., 2015) lets it look: at every output step
the decoder's state is compared with every encoder state (a dot product after a learned linear
map, the "general" score), a softmax over the input positions turns the scores into weights,
and the weighted average of the encoder states (the *context*) joins the decoder state to
predict the digit. The attention weights are plotted as a heat map: a trained model attends,
at output step k, to the input position holding the k-th smallest digit.

Training uses *teacher forcing*: the decoder is fed the true previous digit, so a whole batch
of output sequences is one GRU call and one batched attention. Evaluation decodes *greedily*,
feeding back the model's own choice. After 150 steps about 90 % of held-out 12-digit strings
come out exactly sorted, after 1,000 (about 10 seconds on two CPU cores) 99.9 %.

    python examples/seq2seq_sort.py [--steps 1000] [--length 12] [--hidden 128]

Writes ``seq2seq_sort.png`` (loss, accuracy and an attention map) into ``--out``.
"""
import argparse
import time
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from tqdm import tqdm

import pydl
from pydl import nn
import pydl.nn.functional as F

DIGITS = 10
START = DIGITS  # the decoder's first input: "begin writing"


def digit_strings(batch_size, length, generator):
    """Random digit strings (B, length) and the same strings sorted."""
    x = pydl.randint(0, DIGITS, (batch_size, length), generator=generator)
    return x, x.sort(dim=1).values


class Seq2Seq(nn.Module):
    def __init__(self, hidden, embed=32):
        super().__init__()
        self.enc_embed = nn.Embedding(DIGITS, embed)
        self.encoder = nn.GRU(embed, hidden, batch_first=True)
        self.dec_embed = nn.Embedding(DIGITS + 1, embed)  # + the start token
        self.decoder = nn.GRU(embed, hidden, batch_first=True)
        self.score = nn.Linear(hidden, hidden, bias=False)  # Luong's "general" score: dec . W enc
        self.combine = nn.Linear(2 * hidden, hidden)
        self.out = nn.Linear(hidden, DIGITS)

    def encode(self, x):
        """Encoder states at every input position (B, S, H) and the final state (1, B, H)."""
        return self.encoder(self.enc_embed(x))

    def decode(self, prev, memory, state):
        """Logits (B, T, digits) for decoder inputs `prev` (B, T), attention weights (B, T, S), new state."""
        h, state = self.decoder(self.dec_embed(prev), state)                 # (B, T, H)
        weights = F.softmax(h @ self.score(memory).transpose(1, 2), dim=-1)  # (B, T, S): where to look
        context = weights @ memory                                           # (B, T, H): what is seen there
        logits = self.out(pydl.tanh(self.combine(pydl.cat([h, context], dim=-1))))
        return logits, weights, state

    def forward(self, x, y):
        """Teacher forcing: every output step at once, fed the true previous digits."""
        memory, state = self.encode(x)
        prev = pydl.cat([pydl.full((len(y), 1), START, dtype=y.dtype, device=y.device), y[:, :-1]], dim=1)
        return self.decode(prev, memory, state)[0]

    @pydl.no_grad()
    def greedy(self, x):
        """Write the output one digit at a time, feeding back each chosen digit; also the attention map."""
        memory, state = self.encode(x)
        prev = pydl.full((len(x), 1), START, dtype=x.dtype, device=x.device)
        digits, maps = [], []
        for _ in range(x.shape[1]):
            logits, weights, state = self.decode(prev, memory, state)
            prev = logits.argmax(-1)
            digits.append(prev)
            maps.append(weights)
        return pydl.cat(digits, dim=1), pydl.cat(maps, dim=1)


@pydl.no_grad()
def accuracy(model, x, y):
    """Fraction of strings sorted exactly, and of digits right, decoding greedily."""
    model.eval()
    got, _ = model.greedy(x)
    model.train()
    right = got == y
    return right.all(dim=1).float().mean().item(), right.float().mean().item()


def plot(history, x, got, attention, path):
    fig, (ax, ax_acc, ax_map) = plt.subplots(1, 3, figsize=(15, 4.5))
    ax.plot(history["train_loss"], lw=0.6)
    ax.set(xlabel="step", ylabel="cross-entropy per digit", yscale="log", title="training loss (teacher forcing)")
    ax_acc.plot(history["eval_step"], history["seq_acc"], "o-", ms=3, label="whole string sorted")
    ax_acc.plot(history["eval_step"], history["digit_acc"], "o-", ms=3, label="digits right")
    ax_acc.set(xlabel="step", ylabel="held-out accuracy (greedy decoding)", ylim=(0, 1.02), title="accuracy")
    ax_acc.legend()
    ax_map.imshow(attention, cmap="viridis", vmin=0, vmax=1)
    ax_map.set_xticks(range(len(x)), [str(d) for d in x])
    ax_map.set_yticks(range(len(got)), [str(d) for d in got])
    ax_map.set(xlabel="input digit", ylabel="output digit", title="attention weights")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--length", type=int, default=12, help="digits per string")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--eval-every", type=int, default=50)
    parser.add_argument("--device", default="cuda" if pydl.cuda.is_available() else "cpu")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a small model for a few steps, for CI")
    args = parser.parse_args(argv)
    if args.smoke:
        args.steps, args.batch_size, args.hidden, args.eval_every = 30, 32, 32, 15

    pydl.manual_seed(args.seed)
    gen = pydl.Generator().manual_seed(args.seed)
    test_x, test_y = (t.to(args.device) for t in digit_strings(1000, args.length, gen))  # held out: never trained on
    model = Seq2Seq(args.hidden).to(args.device)
    optimizer = pydl.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = pydl.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps, eta_min=args.lr / 20)
    history = {"train_loss": [], "eval_step": [], "seq_acc": [], "digit_acc": []}

    start = time.perf_counter()
    bar = tqdm(range(1, args.steps + 1), desc="steps", leave=False)
    for step in bar:
        x, y = (t.to(args.device) for t in digit_strings(args.batch_size, args.length, gen))
        loss = F.cross_entropy(model(x, y).flatten(0, 1), y.flatten())
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        history["train_loss"].append(loss.item())
        bar.set_postfix(loss=f"{history['train_loss'][-1]:.3f}")
        if step % args.eval_every == 0 or step == args.steps:
            seq_acc, digit_acc = accuracy(model, test_x, test_y)
            history["eval_step"].append(step)
            history["seq_acc"].append(seq_acc)
            history["digit_acc"].append(digit_acc)
            tqdm.write(f"step {step:5d}  loss {history['train_loss'][-1]:.4f}  sorted {100 * seq_acc:5.1f} %  "
                       f"digits {100 * digit_acc:5.1f} %")
    seconds = time.perf_counter() - start

    model.eval()
    got, attention = model.greedy(test_x[:1])
    x, got = test_x[0].tolist(), got[0].tolist()
    print(f"input {x} -> output {got} (sorted: {sorted(x)})")
    args.out.mkdir(parents=True, exist_ok=True)
    plot(history, x, got, attention[0].cpu().numpy(), args.out / "seq2seq_sort.png")
    print(f"seq2seq with attention, {args.length} digits: {100 * history['seq_acc'][-1]:.1f} % of held-out strings "
          f"sorted exactly, {100 * history['digit_acc'][-1]:.1f} % of digits right, after {args.steps} steps in "
          f"{seconds:.1f} s ({args.device}); plot: {args.out / 'seq2seq_sort.png'}")
    return history


if __name__ == "__main__":
    main()
