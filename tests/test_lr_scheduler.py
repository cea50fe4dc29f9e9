"""pydl.optim.lr_scheduler against torch.optim.lr_scheduler as the oracle.

Each case of CASES (tests/lr_scheduler_cases.py) builds the same scheduler on a torch
optimizer and on ours: a stand-in honouring only PyTorch's Optimizer contract, and pydl.optim's
optimizers (skipped where one is missing). Both are stepped like a training loop, and learning
rates, momentum, warnings and state are compared.
"""
import importlib
import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import pydl  # noqa: E402
from pydl.optim import lr_scheduler as ours  # noqa: E402
from torch.optim import lr_scheduler as theirs  # noqa: E402
from lr_scheduler_cases import CASES, ERROR_CASES, N_STEPS, Case, Make  # noqa: E402

RTOL = 1e-12
# Group entries the schedulers read or write; compared after every step.
TRACKED_KEYS = ("lr", "initial_lr", "momentum", "betas", "max_lr", "min_lr", "max_momentum",
                "base_momentum")
WARNING_KINDS = {  # message fragment -> short name
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`": "order",
    "Seems like `optimizer.step()` has been overridden": "overridden",
    "The epoch parameter in `scheduler.step()`": "epoch-deprecated",
    "please use `get_last_lr()`": "get_lr",
}


# ------------------------------------------------------------------------- optimizers ---------
class StandInOptimizer:
    """Nothing but PyTorch's Optimizer contract: param_groups, defaults and step()."""

    def __init__(self, groups, **defaults):
        self.defaults = defaults
        self.param_groups = [{"params": [], **defaults, **group} for group in groups]
        self.n_steps = 0

    def step(self, closure=None):
        self.n_steps += 1


# kind -> (torch optimizer class, its extra defaults); our optimizer class has the same name.
OPTIMIZER_KINDS = {
    "sgd": (torch.optim.SGD, {"momentum": 0.9}),
    "adam": (torch.optim.Adam, {"betas": (0.9, 0.999)}),
    "adagrad": (torch.optim.Adagrad, {}),  # neither momentum nor betas
}
GROUP_LRS = (0.1, 0.05)  # group 0 takes the default lr; group 1 overrides it
IMPLS = ["standin", "pydl"]


def group_specs(n_groups, initial_lr):
    groups = [{} if i == 0 else {"lr": GROUP_LRS[i]} for i in range(n_groups)]
    if initial_lr is not None:  # resuming: the groups hold initial_lr already
        for group, lr in zip(groups, initial_lr):
            group["initial_lr"] = lr
    return groups


def make_torch_optimizer(kind, n_groups, initial_lr=None):
    cls, extra = OPTIMIZER_KINDS[kind]
    groups = [dict(g, params=[torch.nn.Parameter(torch.zeros(1))])
              for g in group_specs(n_groups, initial_lr)]
    return cls(groups, lr=GROUP_LRS[0], **extra)


def make_our_optimizer(impl, kind, n_groups, initial_lr=None):
    torch_cls, extra = OPTIMIZER_KINDS[kind]
    if impl == "standin":
        return StandInOptimizer(group_specs(n_groups, initial_lr), lr=GROUP_LRS[0], **extra)
    try:
        pydl_optim = importlib.import_module("pydl.optim")
    except ImportError:
        pytest.skip("pydl.optim is not importable yet")
    cls = getattr(pydl_optim, torch_cls.__name__, None)
    if cls is None:
        pytest.skip(f"pydl.optim.{torch_cls.__name__} does not exist yet")
    groups = []
    for g in group_specs(n_groups, initial_lr):
        param = pydl.zeros(1)
        param.requires_grad_(True)
        groups.append(dict(g, params=[param]))
    return cls(groups, lr=GROUP_LRS[0], **extra)




def build(module, name, kwargs, optimizer):
    """``module.name(optimizer, **kwargs)``, building sub-scheduler specs and Make values."""
    kwargs = dict(kwargs)
    for key, value in kwargs.items():
        if isinstance(value, Make):
            kwargs[key] = value.factory()
    if "schedulers" in kwargs:
        kwargs["schedulers"] = [build(module, sub_name, sub_kwargs, optimizer)
                                for sub_name, sub_kwargs in kwargs["schedulers"]]
    return getattr(module, name)(optimizer=optimizer, **kwargs)


def warning_kinds(record):
    return sorted({kind for w in record for fragment, kind in WARNING_KINDS.items()
                   if fragment in str(w.message)})


def as_floats(value):
    if isinstance(value, (list, tuple)):
        return [as_floats(v) for v in value]
    return float(value)


def assert_same_values(actual, expected, what):
    np.testing.assert_allclose(np.asarray(as_floats(actual)), np.asarray(as_floats(expected)),
                               rtol=RTOL, atol=0, err_msg=what)


class Pair:
    """The torch scheduler and ours, built from one Case and stepped in lockstep."""

    def __init__(self, case, impl):
        self.case, self.impl = case, impl
        self.torch_opt = make_torch_optimizer(case.kind, case.n_groups, case.initial_lr)
        self.theirs = build(theirs, case.name, case.kwargs, self.torch_opt)
        self.our_opt, self.ours = self.make_ours()
        self.lr_history = []

    def make_ours(self):
        opt = make_our_optimizer(self.impl, self.case.kind, self.case.n_groups,
                                 self.case.initial_lr)
        return opt, build(ours, self.case.name, self.case.kwargs, opt)

    def step(self, i, optimizer_first=True):
        """One training step; returns the warning kinds (torch's, ours)."""
        kinds = []
        for opt, sched in ((self.torch_opt, self.theirs), (self.our_opt, self.ours)):
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always")
                if optimizer_first:
                    opt.step()
                sched.step(*self.case.args(i))
            kinds.append(warning_kinds(record))
        return kinds

    def check(self, when):
        assert_same_values(self.ours.get_last_lr(), self.theirs.get_last_lr(),
                           f"get_last_lr() {when}")
        self.lr_history.append(as_floats(self.theirs.get_last_lr()))
        for i, (mine, ref) in enumerate(zip(self.our_opt.param_groups,
                                            self.torch_opt.param_groups)):
            for key in TRACKED_KEYS:
                if key in ref:
                    assert key in mine, f"group {i} lacks {key!r} {when}"
                    assert_same_values(mine[key], ref[key], f"group {i} {key!r} {when}")


def state_keys(state):
    """The key structure of a state dict, sub-scheduler states included."""
    keys = set(state)
    if "_schedulers" in state:
        return keys, [state_keys(s) for s in state["_schedulers"]]
    return keys


CASE_PARAMS = [pytest.param(c, id=c.id) for c in CASES]


# ------------------------------------------------------------------------- tests --------------
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_sequence_matches_torch(case, impl):
    pair = Pair(case, impl)
    pair.check("after construction")
    for i in range(N_STEPS):
        torch_warnings, our_warnings = pair.step(i)
        assert our_warnings == torch_warnings, f"step {i}"
        pair.check(f"after step {i}")
    # A case whose lr never moves would prove nothing.
    assert len({tuple(lrs) for lrs in pair.lr_history}) > 1


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_sequence_is_bit_exact_with_standin(case):
    pair = Pair(case, "standin")
    for i in range(N_STEPS):
        pair.step(i)
        assert as_floats(pair.ours.get_last_lr()) == as_floats(pair.theirs.get_last_lr()), i


@pytest.mark.parametrize("source", ["ours", "torch"])
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_state_dict_round_trip(case, impl, source):
    """Save mid-way (ours, or torch's: the formats are the same), load into a fresh scheduler
    on a fresh optimizer, and carry on: the sequence must continue as if uninterrupted."""
    pair = Pair(case, impl)
    for i in range(20):
        pair.step(i)
    saved_from = pair.ours if source == "ours" else pair.theirs
    saved = pickle.loads(pickle.dumps(saved_from.state_dict()))
    assert state_keys(pair.ours.state_dict()) == state_keys(pair.theirs.state_dict())

    fresh_opt, fresh = pair.make_ours()
    # What optimizer.load_state_dict would restore: every group entry but the params.
    for group, old in zip(fresh_opt.param_groups, pair.our_opt.param_groups):
        group.update({k: v for k, v in old.items() if k != "params"})
    assert fresh.state_dict() != saved  # the load below has something to restore
    fresh.load_state_dict(saved)
    pair.our_opt, pair.ours = fresh_opt, fresh
    pair.check("after load_state_dict")
    for i in range(20, N_STEPS):
        pair.step(i)
        pair.check(f"after step {i} (resumed)")


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_calling_order_warning_like_torch(case, impl):
    pair = Pair(case, impl)
    torch_warnings, our_warnings = pair.step(0, optimizer_first=False)
    assert our_warnings == torch_warnings
    pair.check("after a scheduler step before any optimizer step")


def test_calling_order_warnings():
    impl = "standin"
    opt = make_our_optimizer(impl, "sgd", 1)
    sched = ours.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    # The right order warns nothing.
    opt = make_our_optimizer(impl, "sgd", 1)
    sched = ours.StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
    assert opt.n_steps == 1  # the wrapped step still runs the optimizer's own
    # Replacing optimizer.step after construction defeats the check: PyTorch says so.
    opt = make_our_optimizer(impl, "sgd", 1)
    sched = ours.StepLR(opt, step_size=2)
    opt.step = lambda: None
    with pytest.warns(UserWarning, match="has been overridden"):
        sched.step()


def test_optimizer_step_wrapped_once_and_collectable():
    import gc
    import weakref
    opt = make_our_optimizer("standin", "sgd", 1)
    ours.StepLR(opt, 3)
    wrapped = opt.step
    ours.ExponentialLR(opt, 0.9)
    assert opt.step is wrapped  # a second scheduler does not wrap the wrapper
    ref = weakref.ref(opt)
    gc.disable()
    try:
        del opt, wrapped
        assert ref() is None  # no reference cycle through the wrapped step
    finally:
        gc.enable()


def test_get_lr_outside_step_warns():
    sched = ours.StepLR(make_our_optimizer("standin", "sgd", 1), step_size=2)
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()


def test_one_cycle_momentum_sequence():
    """Momentum runs opposite to the lr: max_momentum at the start and end, base_momentum at
    the lr peak; the same values as torch at every step, for SGD momentum and Adam beta1."""
    for kind, read in (("sgd", lambda g: g["momentum"]), ("adam", lambda g: g["betas"][0])):
        case = Case("OneCycleLR", {"max_lr": 1.0, "total_steps": 20, "pct_start": 0.25},
                    kind=kind, n_groups=1)
        pair = Pair(case, "standin")
        momentums, lrs = [read(pair.our_opt.param_groups[0])], [pair.ours.get_last_lr()[0]]
        for i in range(19):
            pair.step(i)
            pair.check(f"step {i}")
            assert read(pair.our_opt.param_groups[0]) == read(pair.torch_opt.param_groups[0])
            momentums.append(read(pair.our_opt.param_groups[0]))
            lrs.append(pair.ours.get_last_lr()[0])
        peak = int(np.argmax(lrs))
        assert peak == 4 and lrs[peak] == pytest.approx(1.0)
        assert momentums[0] == pytest.approx(0.95) and momentums[-1] == pytest.approx(0.95)
        assert momentums[peak] == pytest.approx(0.85) and min(momentums) == momentums[peak]
        if kind == "adam":
            assert pair.our_opt.param_groups[0]["betas"][1] == 0.999  # beta2 untouched


def test_one_cycle_raises_when_stepped_too_often():
    for module, opt in ((theirs, make_torch_optimizer("sgd", 1)),
                        (ours, make_our_optimizer("standin", "sgd", 1))):
        sched = module.OneCycleLR(opt, max_lr=1.0, total_steps=10)
        for _ in range(10):
            opt.step()
            sched.step()
        with pytest.raises(ValueError, match="Tried to step 11 times"):
            sched.step()


def test_lr_as_tensor_is_updated_in_place():
    opt = StandInOptimizer([{}], lr=pydl.tensor(0.1, dtype=pydl.float64))
    lr_tensor = opt.param_groups[0]["lr"]
    sched = ours.ExponentialLR(opt, gamma=0.9)
    ref_opt = make_torch_optimizer("sgd", 1)
    ref = theirs.ExponentialLR(ref_opt, gamma=0.9)
    for _ in range(5):
        opt.step(), ref_opt.step()
        sched.step(), ref.step()
    assert opt.param_groups[0]["lr"] is lr_tensor
    assert float(lr_tensor) == ref.get_last_lr()[0]
    last = sched.get_last_lr()[0]
    assert isinstance(last, pydl.Tensor)
    last.fill_(123.0)  # get_last_lr hands out copies
    assert float(lr_tensor) == ref.get_last_lr()[0]


def test_reduce_on_plateau_accepts_tensor_metric():
    opt = make_our_optimizer("standin", "sgd", 1)
    sched = ours.ReduceLROnPlateau(opt, patience=0)
    sched.step(pydl.tensor(1.0))
    sched.step(pydl.tensor(2.0))
    assert sched.get_last_lr() == [pytest.approx(0.01)]


# ------------------------------------------------------------------------- errors -------------


def raised_by(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the class is what is compared
        return type(exc)
    return None


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in ERROR_CASES])
def test_constructor_errors_like_torch(case):
    expected = raised_by(lambda: build(theirs, case.name, case.kwargs,
                                       make_torch_optimizer(case.kind, case.n_groups)))
    assert expected is not None, "torch accepts this case: the table is wrong"
    got = raised_by(lambda: build(ours, case.name, case.kwargs,
                                  make_our_optimizer("standin", case.kind, case.n_groups)))
    assert got is expected


def test_composition_errors_like_torch():
    for module, make_opt in ((theirs, lambda: make_torch_optimizer("sgd", 1)),
                             (ours, lambda: make_our_optimizer("standin", "sgd", 1))):
        opt, other = make_opt(), make_opt()
        step = module.StepLR(opt, 2)
        plateau = module.ReduceLROnPlateau(opt)
        elsewhere = module.ExponentialLR(other, 0.9)
        with pytest.raises(ValueError, match="ReduceLROnPlateau"):
            module.SequentialLR(opt, [step, plateau], milestones=[3])
        with pytest.raises(ValueError, match="ReduceLROnPlateau"):
            module.ChainedScheduler([step, plateau])
        with pytest.raises(ValueError, match="same optimizer"):
            module.SequentialLR(opt, [step, elsewhere], milestones=[3])
        with pytest.raises(ValueError, match="same optimizer"):
            module.ChainedScheduler([step, elsewhere])
        with pytest.raises(TypeError, match="should have `optimizer`"):
            module.ChainedScheduler([step, object()])
        with pytest.raises(TypeError, match="is not an Optimizer"):
            module.StepLR(object(), 2)
        with pytest.raises(ValueError, match="non-negative epoch"):
            module.CosineAnnealingWarmRestarts(opt, T_0=3).step(-1)


def test_public_classes_have_docstrings():
    for name in ours.__all__:
        assert getattr(ours, name).__doc__, name
    assert set(theirs.__all__) <= set(ours.__all__) | {"LRScheduler"}
