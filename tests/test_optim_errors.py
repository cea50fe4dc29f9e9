"""pydl.optim's errors: invalid options and params raise torch's exception class with torch's
message, and the compiled steps reject mismatched lists and corrupt state with an error naming
the op, the entry and the shapes, before writing any parameter."""
import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")


def run_once(opt, params):
    opt.zero_grad()
    sum((p * p).sum() for p in params).backward()
    opt.step()


def as_numpy(t):
    return np.asarray(t.detach().numpy())


# --- validation errors: the same class and message as torch
BAD_OPTIONS = [
    ("SGD", dict(lr=-1), ValueError), ("SGD", dict(momentum=-0.5), ValueError),
    ("SGD", dict(weight_decay=-1), ValueError), ("SGD", dict(nesterov=True), ValueError),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1), ValueError),
    ("SGD", dict(fused=True, foreach=True), RuntimeError),
    ("Adam", dict(lr=-1), ValueError), ("Adam", dict(eps=-1e-8), ValueError),
    ("Adam", dict(betas=(1.0, 0.9)), ValueError), ("Adam", dict(betas=(0.9, -0.1)), ValueError),
    ("Adam", dict(weight_decay=-0.1), ValueError), ("Adam", dict(betas=(0, 0.9)), ValueError),
    ("Adam", dict(fused=True, foreach=True), RuntimeError), ("AdamW", dict(betas=(0.5, 1.0)), ValueError),
    ("RMSprop", dict(lr=-1), ValueError), ("RMSprop", dict(alpha=-1), ValueError),
    ("RMSprop", dict(momentum=-1), ValueError), ("RMSprop", dict(eps=-1), ValueError),
    ("RMSprop", dict(weight_decay=-1), ValueError),
    ("Adagrad", dict(lr=-1), ValueError), ("Adagrad", dict(lr_decay=-1), ValueError),
    ("Adagrad", dict(initial_accumulator_value=-1), ValueError), ("Adagrad", dict(eps=-1), ValueError),
    ("Adagrad", dict(weight_decay=-1), ValueError),
    ("Adadelta", dict(lr=-1), ValueError), ("Adadelta", dict(rho=1.5), ValueError),
    ("Adadelta", dict(eps=-1), ValueError), ("Adadelta", dict(weight_decay=-1), ValueError),
    ("Adamax", dict(lr=-1), ValueError), ("Adamax", dict(betas=(0.9, 1.0)), ValueError),
    ("Adamax", dict(eps=-1), ValueError),
    ("NAdam", dict(momentum_decay=-1), ValueError), ("NAdam", dict(betas=(-0.1, 0.9)), ValueError),
    ("RAdam", dict(eps=-1), ValueError), ("RAdam", dict(weight_decay=-1), ValueError),
]


@pytest.mark.parametrize("name,kwargs,error", BAD_OPTIONS,
                         ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw, _ in BAD_OPTIONS])
def test_invalid_options_raise_like_torch(name, kwargs, error):
    messages = []
    for lib in (pydl, torch):
        with pytest.raises(error) as info:
            getattr(lib.optim, name)([lib.randn(2, requires_grad=True)], **kwargs)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("kwargs", [dict(lr=-1), dict(betas=(1.0, 0.9)), dict(weight_decay=-1)])
def test_lion_invalid_options(kwargs):
    with pytest.raises(ValueError, match="Invalid"):
        pydl.optim.Lion([pydl.randn(2, requires_grad=True)], **kwargs)


def bad_params(lib):
    """(name, make the params argument, expected error) cases of the Optimizer constructor."""
    x = lib.randn(2, requires_grad=True)
    return [
        ("tensor", lambda: x, TypeError), ("empty", lambda: [], ValueError),
        ("set", lambda: [{"params": {x}}], TypeError),
        ("non-tensor", lambda: [x, 1], TypeError), ("non-leaf", lambda: [x * 2], ValueError),
        ("shared", lambda: [{"params": [x]}, {"params": [x]}], ValueError),
        ("names", lambda: [("a", x), lib.randn(2, requires_grad=True)], ValueError),
        ("groups", lambda: [{"params": [("a", x)]}, {"params": [lib.randn(2, requires_grad=True)]}], ValueError),
    ]


@pytest.mark.parametrize("case", range(len(bad_params(pydl))))
def test_invalid_params_raise_like_torch(case):
    messages = []
    for lib in (pydl, torch):
        name, make, error = bad_params(lib)[case]
        with pytest.raises(error) as info:
            lib.optim.SGD(make(), lr=0.1)
        messages.append(str(info.value).replace("torch", "pydl"))
    if name != "tensor":  # torch names the tensor type (torch.FloatTensor)
        assert messages[0] == messages[1]


def test_load_state_dict_checks_group_counts_and_sizes_like_torch():
    for lib in (pydl, torch):
        a, b = lib.randn(2, requires_grad=True), lib.randn(2, requires_grad=True)
        saved = lib.optim.SGD([a, b], lr=0.1).state_dict()
        with pytest.raises(ValueError, match="different number of parameter groups"):
            lib.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)
        with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
            lib.optim.SGD([a], lr=0.1).load_state_dict(saved)


def test_differentiable_is_not_implemented():
    with pytest.raises(NotImplementedError):
        pydl.optim.Adam([pydl.randn(2, requires_grad=True)], differentiable=True)


# --- the compiled steps check their inputs: RuntimeError/TypeError naming the op, never a crash
def adam_lists(n=2, shape=(2, 3), dtype=pydl.float32):
    params = [pydl.randn(*shape, dtype=dtype) for _ in range(n)]
    grads = [pydl.randn(*shape, dtype=dtype) for _ in range(n)]
    states = [[pydl.zeros(*shape, dtype=dtype) for _ in range(n)] for _ in range(2)]
    steps = [pydl.zeros((), dtype=pydl.float32) for _ in range(n)]
    return params, grads, states[0], states[1], [], steps


ADAM_HYPER = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
                  decoupled_weight_decay=False)


@pytest.mark.parametrize("corrupt,error,fragment", [
    (lambda L: L[1].pop(), RuntimeError, "adam_step: got 2 params but 1 grads"),
    (lambda L: L[2].__setitem__(1, pydl.zeros(3, 2)), RuntimeError,
     "adam_step: exp_avgs[1] has shape [3, 2] but params[1] has shape [2, 3]"),
    (lambda L: L[3].__setitem__(0, pydl.zeros(2, 3, dtype=pydl.float64)), RuntimeError, "exp_avg_sqs[0] has dtype"),
    (lambda L: L[5].__setitem__(1, pydl.zeros((), dtype=pydl.int64)), RuntimeError, "state_steps[1] must be"),
    (lambda L: L[5].__setitem__(1, pydl.zeros(2)), RuntimeError, "state_steps[1] must be"),
    (lambda L: L[2].__setitem__(0, None), TypeError, "adam_step(): exp_avgs[0] must be a Tensor, not NoneType"),
    (lambda L: L.__setitem__(1, 5), TypeError, "grads must be a list or tuple of tensors"),
])
def test_compiled_step_rejects_mismatched_lists(corrupt, error, fragment):
    lists = [list(x) for x in adam_lists()]
    before = [as_numpy(p).copy() for p in lists[0]]
    corrupt(lists)
    with pytest.raises(error) as info:
        pydl._C._optim.adam_step(*lists, **ADAM_HYPER)
    assert fragment in str(info.value)
    for p, b in zip(lists[0], before):  # checked before anything is written
        np.testing.assert_array_equal(as_numpy(p), b)


def test_compiled_step_rejects_integer_params_and_missing_amsgrad_state():
    params, grads, m, v, _, steps = adam_lists(n=1)
    with pytest.raises(RuntimeError, match="amsgrad needs one max_exp_avg_sq per param"):
        pydl._C._optim.adam_step(params, grads, m, v, [], steps, **{**ADAM_HYPER, "amsgrad": True})
    ints = [pydl.zeros(2, 3, dtype=pydl.int64)]
    with pytest.raises(RuntimeError, match="floating-point"):
        pydl._C._optim.adam_step(ints, ints, ints, ints, [], steps, **ADAM_HYPER)


def test_corrupt_loaded_state_raises_instead_of_crashing():
    p = pydl.randn(2, 3, requires_grad=True)
    opt = pydl.optim.Adam([p])
    run_once(opt, [p])
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = pydl.zeros(5)
    opt.load_state_dict(sd)
    before = as_numpy(p).copy()
    with pytest.raises(RuntimeError, match=r"exp_avgs\[0\] has shape \[5\]"):
        run_once(opt, [p])
    np.testing.assert_array_equal(as_numpy(p), before)
