"""Learn word vectors from Shakespeare's sonnets with word2vec (skip-gram, negative sampling).

"You shall know a word by the company it keeps": words that appear in similar contexts mean
similar things. Skip-gram (Mikolov et al., 2013) turns that into a prediction task. Each word
has two vectors, an *input* vector v (nn.Embedding ``in_embed``) used when it is the centre word
and an *output* vector u (``out_embed``) used when it is a context word. For a centre word c and
a word o seen within a few positions of it, the model should score ``u_o . v_c`` high; for k
*negative* words n drawn at random from the unigram distribution raised to the 3/4 power, it
should score them low. The loss per pair is

    -log sigmoid(u_o . v_c) - sum_n log sigmoid(-u_n . v_c)

a cheap stand-in for a softmax over the whole vocabulary. Very frequent words ("the", "and")
carry little information, so each occurrence of a word with corpus frequency f is dropped with
probability 1 - sqrt(t / f) (*subsampling*). After training, words used alike end up with
similar input vectors: we print each query word's nearest neighbours by cosine similarity and
project the frequent words' vectors onto their first two principal components. The corpus is
tiny (about 11,000 words), so expect neighbours such as thy/thine/my or day/night rather than
the analogies of a billion-word corpus.

    python examples/word2vec.py [--epochs 60] [--dim 64] [--window 4] [--negatives 5]

Writes ``word2vec.png`` (the loss curve and a 2-D PCA map of frequent words) into ``--out``.
"""
import argparse
import collections
import re
import time
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from tqdm import tqdm

import pydl
from pydl import nn
import pydl.nn.functional as F

DATA = Path(__file__).resolve().parent / "data" / "shakespeare_sonnets.txt"
QUERIES = ("love", "thy", "beauty", "time", "eyes", "day", "heart", "death")
STOPWORDS = {"the", "and", "of", "to", "in", "a", "that", "is", "with", "for", "but", "not", "as", "be", "so",
             "which", "doth", "by", "or", "on", "all", "when", "then", "from", "it", "this", "do", "are", "at",
             "what", "if", "how", "where", "no", "nor", "yet", "why", "o", "shall", "can", "will", "hath", "his",
             "her", "their", "they", "he", "she", "i", "me", "you", "thou", "thee", "my", "mine", "your"}


def read_words(path):
    """Lower-case words of the sonnets (the header line and the Roman-numeral titles dropped)."""
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    text = "\n".join(line for line in lines if not re.fullmatch(r"\s*[IVXLC]+\s*", line))
    return re.findall(r"[a-z]+(?:'[a-z]+)*", text.lower())


def build_vocab(words, min_count):
    counts = collections.Counter(words)
    vocab = [w for w, c in counts.most_common() if c >= min_count]  # index 0 = most frequent
    return vocab, np.array([counts[w] for w in vocab], dtype=np.float64)


def skipgram_pairs(ids, freq, window, subsample, rng):
    """(centre, context) index pairs for one epoch: subsampled, with a random window 1..window per centre."""
    if subsample > 0:
        keep = rng.random(len(ids)) < np.sqrt(subsample / freq[ids])
        ids = ids[keep]
    centres, contexts = [], []
    spans = rng.integers(1, window + 1, size=len(ids))  # nearer words are used more often, as in word2vec
    for offset in range(1, window + 1):
        use = spans[:-offset] >= offset  # centre i sees i + offset
        left, right = ids[:-offset], ids[offset:]
        centres += [left[use], right[spans[offset:] >= offset]]
        contexts += [right[use], left[spans[offset:] >= offset]]
    pairs = np.stack([np.concatenate(centres), np.concatenate(contexts)], 1)
    return pairs[rng.permutation(len(pairs))]


class SkipGram(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, dim)   # v: the word as a centre -- these are the word vectors
        self.out_embed = nn.Embedding(vocab_size, dim)  # u: the word as a context
        nn.init.uniform_(self.in_embed.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.out_embed.weight)  # word2vec's initialisation: the loss starts at (1 + k) log 2

    def forward(self, centre, context, negatives):
        v = self.in_embed(centre)                                   # (B, D)
        positive = (self.out_embed(context) * v).sum(-1)            # (B,)
        negative = (self.out_embed(negatives) @ v.unsqueeze(-1)).squeeze(-1)  # (B, k)
        return -(F.logsigmoid(positive) + F.logsigmoid(-negative).sum(-1)).mean()


def nearest(vectors, vocab, word, k=6):
    """The k words whose vectors have the largest cosine similarity with `word`'s."""
    unit = vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-8)
    similarity = unit @ unit[vocab.index(word)]
    scores, idx = similarity.topk(k + 1)
    return [(vocab[i], s) for i, s in zip(idx.tolist(), scores.tolist()) if vocab[i] != word][:k]


def pca_2d(x):
    """The rows of x, scaled to unit length, projected onto their first two principal components (NumPy SVD)."""
    x = x / np.linalg.norm(x, axis=1, keepdims=True)  # directions only, as cosine similarity sees them
    x = x - x.mean(0)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    return x @ vt[:2].T, s[:2] ** 2 / (s ** 2).sum()


def plot(history, points, labels, explained, path):
    fig, (ax, ax_map) = plt.subplots(1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": (1, 1.4)})
    loss = np.array(history["train_loss"])
    ax.plot(loss, lw=0.5, alpha=0.4, label="per batch")
    if len(loss) > 20:
        w = max(5, len(loss) // 50)
        ax.plot(np.arange(w - 1, len(loss)), np.convolve(loss, np.ones(w) / w, "valid"), label=f"mean of {w}")
    ax.set(xlabel="step", ylabel="negative-sampling loss", title="skip-gram training loss")
    ax.legend()
    ax_map.scatter(points[:, 0], points[:, 1], s=8, c="tab:blue")
    for (x, y), word in zip(points, labels):
        ax_map.annotate(word, (x, y), fontsize=8, xytext=(2, 2), textcoords="offset points")
    ax_map.set(xlabel=f"PC 1 ({100 * explained[0]:.0f} % of variance)",
               ylabel=f"PC 2 ({100 * explained[1]:.0f} % of variance)", title="word vectors of frequent words, PCA")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--dim", type=int, default=64, help="size of the word vectors")
    parser.add_argument("--window", type=int, default=4, help="largest distance between centre and context word")
    parser.add_argument("--negatives", type=int, default=5, help="negative words per pair")
    parser.add_argument("--min-count", type=int, default=3, help="words seen fewer times are dropped")
    parser.add_argument("--subsample", type=float, default=1e-3, help="subsampling threshold t (0: off)")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--text", type=Path, default=DATA)
    parser.add_argument("--device", default="cuda" if pydl.cuda.is_available() else "cpu")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="one short epoch, for CI")
    args = parser.parse_args(argv)

    pydl.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    words = read_words(args.text)
    vocab, counts = build_vocab(words, args.min_count)
    index = {w: i for i, w in enumerate(vocab)}
    ids = np.array([index[w] for w in words if w in index])
    freq = counts / counts.sum()
    noise = pydl.tensor(counts ** 0.75, dtype=pydl.float32).to(args.device)  # unigram^(3/4): rare words more often
    epochs = 1 if args.smoke else args.epochs
    max_steps = 30 if args.smoke else None
    print(f"{len(words)} words, vocabulary of {len(vocab)} words seen at least {args.min_count} times")

    model = SkipGram(len(vocab), args.dim).to(args.device)
    optimizer = pydl.optim.Adam(model.parameters(), lr=args.lr)
    history = {"train_loss": [], "epoch_loss": []}
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        pairs = skipgram_pairs(ids, freq, args.window, args.subsample, rng)
        batches = range(0, len(pairs), args.batch_size)
        if max_steps:
            batches = batches[:max_steps]
        bar = tqdm(batches, desc=f"epoch {epoch}/{epochs}", leave=False)
        for i in bar:
            batch = pydl.from_numpy(pairs[i:i + args.batch_size]).to(args.device)
            centre, context = batch[:, 0], batch[:, 1]
            negatives = pydl.multinomial(noise, len(batch) * args.negatives, replacement=True)
            loss = model(centre, context, negatives.view(len(batch), args.negatives))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history["train_loss"].append(loss.item())
            bar.set_postfix(loss=f"{history['train_loss'][-1]:.3f}")
        history["epoch_loss"].append(float(np.mean(history["train_loss"][-len(bar):])))
        if epoch % 10 == 0 or epoch == epochs:
            tqdm.write(f"epoch {epoch:3d}  loss {history['epoch_loss'][-1]:.4f}  ({len(pairs)} pairs)")
    seconds = time.perf_counter() - start

    vectors = model.in_embed.weight.detach().cpu()
    print("nearest neighbours (cosine similarity of the input vectors):")
    history["neighbours"] = {}
    for word in QUERIES:
        if word in index:
            history["neighbours"][word] = nearest(vectors, vocab, word)
            print(f"  {word:>7}: " + ", ".join(f"{w} {s:.2f}" for w, s in history["neighbours"][word]))
    shown = [i for i, w in enumerate(vocab) if w not in STOPWORDS][:80]  # the 80 most frequent content words
    points, explained = pca_2d(vectors.numpy()[shown].astype(np.float64))
    args.out.mkdir(parents=True, exist_ok=True)
    plot(history, points, [vocab[i] for i in shown], explained, args.out / "word2vec.png")
    print(f"skip-gram, {len(vocab)} words x {args.dim} dims: loss {history['epoch_loss'][-1]:.4f} after {epochs} "
          f"epochs in {seconds:.1f} s ({args.device}); plot: {args.out / 'word2vec.png'}")
    return history


if __name__ == "__main__":
    main()
