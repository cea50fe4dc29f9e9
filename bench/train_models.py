"""The models of the train suite, written once against an ``nn`` module so the same code builds
them in pydl and in torch. Imports neither library: the peak-RSS probe runs this in a fresh
interpreter that must load only the library it measures.
"""
import numpy as np

BATCH = 64


def mlp(nn):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def lenet(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def resnet_mini(nn, width=16):
    """examples/mnist_resnet.py's network, spelled with Sequential so one definition serves both
    libraries: a residual block is the sum of a main path and a shortcut."""
    class Residual(nn.Module):
        def __init__(self, cin, cout, stride=1):
            super().__init__()
            self.main = nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout))
            self.shortcut = nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            return (self.main(x) + self.shortcut(x)).relu()

    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
        Residual(width, width), Residual(width, 2 * width, 2), Residual(2 * width, 4 * width, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.0), nn.Linear(4 * width, 10))


# name -> (model builder, optimizer builder taking (optim module, parameters))
MODELS = {
    "MLP 784-256-10 SGD": (mlp, lambda optim, ps: optim.SGD(ps, lr=0.05, momentum=0.9)),
    "LeNet-5 Adam": (lenet, lambda optim, ps: optim.Adam(ps, lr=1e-3)),
    "ResNet-mini AdamW": (resnet_mini, lambda optim, ps: optim.AdamW(ps, lr=1e-3, weight_decay=5e-4)),
}


def mnist_batch(rng):
    """A batch of MNIST-shaped inputs (normalised-pixel-like values) and labels."""
    return [rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32),
            rng.integers(0, 10, BATCH).astype(np.int64)]


def training_step(lib, name, build=None):
    """A case function: each call is one training step (zero_grad, forward, cross-entropy,
    backward, optimizer step) on the batch it is given, returning the loss (detached).

    The model is built per intra-op thread count: the harness checks the first call at each
    thread count against the other library, and that only means something from the initial
    weights. `build(lib, name)` returns (model, optimizer, loss); by default the library's own
    initialisation is used.
    """
    built = {}
    build = build or default_build

    def step(x, y):
        key = lib.get_num_threads()
        if key not in built:
            built[key] = build(lib, name)
        model, optimizer, loss_fn = built[key]
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.detach()
    return step


def default_build(lib, name):
    make_model, make_optimizer = MODELS[name]
    model = make_model(lib.nn)
    return model, make_optimizer(lib.optim, model.parameters()), lib.nn.CrossEntropyLoss()
