"""A character-level LSTM language model on Shakespeare's sonnets, then let it write a sonnet.

The model reads the text one character at a time and, at every position, predicts the next
character: an embedding turns the character into a vector, a 2-layer LSTM updates its memory
(the hidden and cell states) with it, and a linear layer maps the top layer's hidden state to
the logits of the next character. The loss is the cross-entropy of those predictions.

The text is one long sequence, so it is cut the way word-level language models cut theirs
(Zaremba et al., 2014): into 32 parallel *streams* (the batch), each read from left to right in
chunks of 64 characters. *Truncated backpropagation through time* (TBPTT): the states at the
end of one chunk start the next (the model remembers across chunks), but they are detached, so
gradients flow back at most 64 steps and the graph stays small. ``clip_grad_norm_`` caps the
gradient's norm: recurrent nets occasionally produce exploding gradients, and one bad step
would undo many good ones.

To write, the model is fed a prompt, then repeatedly samples the next character from the
softmax of its logits divided by a *temperature* (below 1: safer, more repetitive text; above
1: more adventurous, more misspelt) and feeds it back in. After 20 epochs (560 steps, about 30
seconds on two CPU cores) the validation loss is about 1.73 nats per character (it starts at
ln 60 = 4.09): the samples have the line lengths, capitals and punctuation of the sonnets and
many real words.

    python examples/char_lstm.py [--epochs 20] [--hidden 256] [--layers 2] [--bptt 64] [--temperature 0.8]

Writes ``char_lstm.png`` (training and validation loss, and a generated sample) into ``--out``.
"""
import argparse
import time
from pathlib import Path

from tqdm import tqdm

from _chars import SONNETS, CharText, figure_with_sample, save
import pydl
from pydl import nn
import pydl.nn.functional as F


class CharLSTM(nn.Module):
    def __init__(self, vocab_size, embed, hidden, layers, dropout):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True, dropout=dropout)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, x, state=None):
        """Logits (B, T, vocab) of the character after each of x's (B, T), and the final (h, c)."""
        out, state = self.lstm(self.embed(x), state)
        return self.head(self.drop(out)), state

    @pydl.no_grad()
    def generate(self, prompt, n, temperature=1.0, generator=None):
        """The indices of `prompt` (a list) followed by `n` sampled characters."""
        ids = list(prompt)
        device = self.head.weight.device
        logits, state = self(pydl.tensor([ids], device=device))  # read the prompt, keep the memory
        for _ in range(n):
            probs = F.softmax(logits[0, -1] / temperature, dim=-1)
            ids.append(pydl.multinomial(probs, 1, generator=generator).item())
            logits, state = self(pydl.tensor([[ids[-1]]], device=device), state)  # one character at a time
        return ids


def streams(data, batch_size):
    """`data` cut into `batch_size` equal streams, one per row (the ragged end dropped)."""
    n = len(data) // batch_size
    return data[:n * batch_size].view(batch_size, n)


def chunks(rows, bptt):
    """Consecutive (input, target) chunks of `rows`, the target shifted one character ahead."""
    for i in range(0, rows.shape[1] - 1, bptt):
        t = min(bptt, rows.shape[1] - 1 - i)
        yield rows[:, i:i + t], rows[:, i + 1:i + 1 + t]


def detach(state):
    """The states without their history: the next chunk's gradient stops here (TBPTT)."""
    return tuple(s.detach() for s in state)


@pydl.no_grad()
def evaluate(model, rows, bptt, device):
    """Mean cross-entropy per character over all chunks of `rows`, the memory carried across."""
    model.eval()
    total, count, state = 0.0, 0, None
    for x, y in chunks(rows, bptt):
        logits, state = model(x.to(device), state)
        total += F.cross_entropy(logits.flatten(0, 1), y.to(device).flatten(), reduction="sum").item()
        count += y.numel()
    model.train()
    return total / count


def plot(history, sample, temperature, path):
    fig, ax = figure_with_sample(sample, temperature)
    ax.plot(history["train_loss"], lw=0.6, alpha=0.6, label="train (per chunk)")
    ax.plot(history["eval_step"], history["val_loss"], "o-", ms=3, label="validation")
    ax.set_title("character-level LSTM on the sonnets")
    ax.legend()
    save(fig, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32, help="parallel streams of text")
    parser.add_argument("--bptt", type=int, default=64, help="characters per chunk (how far gradients flow back)")
    parser.add_argument("--embed", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--clip", type=float, default=1.0, help="largest gradient norm")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--sample-chars", type=int, default=600)
    parser.add_argument("--text", type=Path, default=SONNETS)
    parser.add_argument("--device", default="cuda" if pydl.cuda.is_available() else "cpu")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a small model for a few steps, for CI")
    args = parser.parse_args(argv)
    max_steps = None
    if args.smoke:
        args.epochs, args.batch_size, args.bptt, args.hidden, args.embed, args.sample_chars = 1, 8, 16, 32, 16, 100
        max_steps = 30

    pydl.manual_seed(args.seed)
    gen = pydl.Generator().manual_seed(args.seed)
    data = CharText(args.text)
    train, val = streams(data.train, args.batch_size), streams(data.val, args.batch_size)
    model = CharLSTM(len(data), args.embed, args.hidden, args.layers, args.dropout).to(args.device)
    optimizer = pydl.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = pydl.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs, eta_min=args.lr / 10)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{len(data.train)} training and {len(data.val)} validation characters, vocabulary of {len(data)}; "
          f"{n_params / 1e6:.2f} M parameters")
    history = {"train_loss": [], "eval_step": [], "val_loss": []}

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        state = None  # each epoch starts every stream with an empty memory
        batches = list(chunks(train, args.bptt))[:max_steps]
        bar = tqdm(batches, desc=f"epoch {epoch}/{args.epochs}", leave=False)
        for x, y in bar:
            logits, state = model(x.to(args.device), state)
            loss = F.cross_entropy(logits.flatten(0, 1), y.to(args.device).flatten())
            state = detach(state)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            history["train_loss"].append(loss.item())
            bar.set_postfix(loss=f"{history['train_loss'][-1]:.3f}")
        scheduler.step()
        history["eval_step"].append(len(history["train_loss"]))
        history["val_loss"].append(evaluate(model, val, args.bptt, args.device))
        tqdm.write(f"epoch {epoch:3d}  train loss {history['train_loss'][-1]:.4f}  "
                   f"validation loss {history['val_loss'][-1]:.4f}")
    seconds = time.perf_counter() - start

    sample = data.decode(model.eval().generate(data.encode("Shall I"), args.sample_chars, args.temperature, gen))
    print("sample:\n" + sample)
    history["sample"] = sample
    args.out.mkdir(parents=True, exist_ok=True)
    plot(history, sample, args.temperature, args.out / "char_lstm.png")
    print(f"char LSTM ({args.layers} x {args.hidden}, {n_params / 1e6:.2f} M parameters): validation loss "
          f"{history['val_loss'][-1]:.4f} after {len(history['train_loss'])} steps in {seconds:.1f} s "
          f"({args.device}); plot: {args.out / 'char_lstm.png'}")
    return history


if __name__ == "__main__":
    main()
