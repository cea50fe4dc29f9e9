"""pydl.optim against torch.optim: the same parameters and gradient sequence in both libraries,
20 steps of every algorithm and option, then parameters, state_dict, resumed trajectories (pydl
and torch state dicts), param groups, closures and hooks compared; Lion against a NumPy
reference; the fused CPU kernel against the composed-ops path. Errors: test_optim_errors.py."""
import copy
from pathlib import Path

import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")

# (optimizer, kwargs): every algorithm, and each option on at least one row.
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.02, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.05)),
    ("Adagrad", dict(lr=0.1, eps=1e-6, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),  # rho_t passes 5 at step 6: both branches run
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]
LION_CASES = [("Lion", dict(lr=0.01)), ("Lion", dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.5, maximize=True))]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for name, kw in CASES]

# Parameter layouts: ("T", shape) is a transposed (non-contiguous) leaf, which takes the
# composed-ops path; (180, 200) is past the parallel grain size. The last one gets no gradient.
LAYOUTS = [(5, 4), (3,), (), ("T", (4, 3)), (180, 200), (2, 2)]
UNUSED = len(LAYOUTS) - 1
# torch's vectorised add(alpha=) is a fused multiply-add and pydl's is not: float32 results
# differ by an ulp here and there, which 20 steps of momentum accumulate to ~1e-6.
TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-5)}
STEPS = 20


def initial_arrays(seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for layout in LAYOUTS:
        shape = layout[1][::-1] if isinstance(layout, tuple) and layout and layout[0] == "T" else layout
        arrays.append(rng.standard_normal(shape))
    return arrays


def make_params(lib, arrays, dtype):
    """Leaves with the arrays' values; "T" layouts are stored transposed (non-contiguous)."""
    params = []
    for layout, a in zip(LAYOUTS, arrays):
        t = lib.tensor(a, dtype=getattr(lib, dtype))
        if isinstance(layout, tuple) and layout and layout[0] == "T":
            t = t.t()
        params.append(t.detach().requires_grad_())
    return params


def stored_arrays(params):
    """The arrays make_params builds `params` from (transposed layouts transposed back)."""
    return [as_numpy(p).T if isinstance(layout, tuple) and layout and layout[0] == "T" else as_numpy(p)
            for layout, p in zip(LAYOUTS, params)]


def weight(i):
    return 0.5 + 0.25 * i


def loss_fn(lib, params):
    """A smooth loss whose gradients change from step to step: sum_i w_i (p_i - 1)^2 + 0.1 sin(3 p_i)."""
    total = 0
    for i, p in enumerate(params[:UNUSED]):
        total = total + weight(i) * ((p - 1) ** 2).sum() + 0.1 * lib.sin(3 * p).sum()
    return total


def numpy_grads(params):
    """The gradient of loss_fn, in NumPy (float64 in, float64 out)."""
    return [weight(i) * 2 * (p - 1) + 0.3 * np.cos(3 * p) for i, p in enumerate(params)]


def run_together(runs, steps, dtype="float64"):
    """Steps every (lib, optimizer, params) run with the same gradients: those of loss_fn at the
    first run's parameters, in float64 and then cast to `dtype`. The optimizers then see one
    gradient sequence, so what differs is the update arithmetic alone (the last param: no grad)."""
    for _ in range(steps):
        grads = numpy_grads([as_numpy(p).astype(np.float64) for p in runs[0][2][:UNUSED]])
        for lib, opt, params in runs:
            opt.zero_grad()
            for p, g in zip(params, grads):
                p.grad = lib.tensor(g.copy(), dtype=getattr(lib, dtype))
            opt.step()


def run_steps(lib, opt, params, steps):
    """Steps with the gradients of loss_fn from the library's own autograd."""
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(lib, params).backward()
        opt.step()


def as_numpy(t):
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    return np.asarray(t.detach().cpu().numpy())


def assert_close(actual, expected, dtype, what):
    """Within TOL[dtype]; the absolute part scales with the tensor's largest element, since an
    element that is the small difference of large terms carries their rounding error."""
    expected = as_numpy(expected)
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    tol = TOL[dtype]
    np.testing.assert_allclose(as_numpy(actual), expected, rtol=tol["rtol"], atol=tol["atol"] * scale, err_msg=what)


def assert_params_close(pydl_params, torch_params, dtype):
    for i, (p, q) in enumerate(zip(pydl_params, torch_params)):
        assert_close(p, q, dtype, f"param {i}")


def assert_state_dicts_equal(sd, torch_sd, dtype):
    """pydl's state_dict has torch's layout: the same indices, keys, dtypes and values."""
    assert sd["param_groups"] == torch_sd["param_groups"]
    assert sd["state"].keys() == torch_sd["state"].keys()
    for index, torch_state in torch_sd["state"].items():
        state = sd["state"][index]
        assert list(state) == list(torch_state), index
        for key, value in torch_state.items():
            if isinstance(value, torch.Tensor):
                assert str(state[key].dtype).split(".")[-1] == str(value.dtype).split(".")[-1], (index, key)
                assert tuple(state[key].shape) == tuple(value.shape), (index, key)
                if key == "step":
                    assert state[key].item() == value.item()
                else:
                    assert_close(state[key], value, dtype, f"state {index} {key}")
            else:
                assert state[key] == value, (index, key)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_trajectory_and_state_dict_match_torch(name, kwargs, dtype):
    arrays = initial_arrays()
    params = make_params(pydl, arrays, dtype)
    torch_params = make_params(torch, arrays, dtype)
    opt = getattr(pydl.optim, name)(params, **kwargs)
    torch_opt = getattr(torch.optim, name)(torch_params, **kwargs)
    run_together([(torch, torch_opt, torch_params), (pydl, opt, params)], STEPS, dtype)

    assert_params_close(params, torch_params, dtype)
    assert not np.allclose(as_numpy(params[0]), arrays[0]), "the parameters did not move"
    np.testing.assert_array_equal(as_numpy(params[UNUSED]), arrays[UNUSED].astype(dtype))  # no grad: skipped
    assert not params[3].is_contiguous()
    assert_state_dicts_equal(opt.state_dict(), torch_opt.state_dict(), dtype)
    if name != "Adagrad":  # torch creates Adagrad's state eagerly, for every parameter
        assert params[UNUSED] not in opt.state


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,kwargs", CASES + LION_CASES, ids=IDS + ["Lion-default", "Lion-options"])
def test_fused_kernel_and_composed_ops_agree_bitwise(name, kwargs, dtype):
    """A contiguous parameter takes the fused CPU kernel, a transposed one the composed ops
    (the path of devices without the kernel): the same values must come out of both."""
    values = np.random.default_rng(1).standard_normal((6, 5))
    dense = pydl.tensor(values, dtype=getattr(pydl, dtype)).requires_grad_()
    strided = pydl.tensor(values.T.copy(), dtype=getattr(pydl, dtype)).t().detach().requires_grad_()
    assert dense.is_contiguous() and not strided.is_contiguous()
    opt = getattr(pydl.optim, name)([dense, strided], **kwargs)
    for _ in range(STEPS):
        grad = weight(0) * 2 * (as_numpy(dense).astype(np.float64) - 1) + 0.3 * np.cos(3 * as_numpy(dense))
        dense.grad = pydl.tensor(grad, dtype=getattr(pydl, dtype))
        strided.grad = pydl.tensor(grad.T.copy(), dtype=getattr(pydl, dtype)).t()
        opt.step()
    np.testing.assert_array_equal(as_numpy(dense), as_numpy(strided))
    for key, value in opt.state[dense].items():
        np.testing.assert_array_equal(as_numpy(value), as_numpy(opt.state[strided][key]), err_msg=key)


def to_pydl_state_dict(torch_sd):
    """A torch state_dict with every tensor converted to pydl through NumPy."""
    def convert(v):
        if isinstance(v, torch.Tensor):
            return pydl.from_numpy(v.detach().numpy().copy())
        if isinstance(v, dict):
            return {k: convert(x) for k, x in v.items()}
        return copy.deepcopy(v)
    return {"state": convert(torch_sd["state"]), "param_groups": copy.deepcopy(torch_sd["param_groups"])}


def clone_params(params):
    """Fresh leaves with the same values and layout."""
    return [p.detach().clone().requires_grad_() for p in params]


@pytest.mark.parametrize("name,kwargs", CASES + LION_CASES, ids=IDS + ["Lion-default", "Lion-options"])
def test_load_state_dict_mid_training_resumes_the_same_trajectory(name, kwargs):
    arrays = initial_arrays()
    straight = make_params(pydl, arrays, "float64")
    run_together([(pydl, getattr(pydl.optim, name)(straight, **kwargs), straight)], STEPS)

    first = make_params(pydl, arrays, "float64")
    opt = getattr(pydl.optim, name)(first, **kwargs)
    run_together([(pydl, opt, first)], STEPS // 2)
    saved = copy.deepcopy(opt.state_dict())
    resumed = clone_params(first)
    opt2 = getattr(pydl.optim, name)(resumed, **kwargs)
    opt2.load_state_dict(saved)
    run_together([(pydl, opt2, resumed)], STEPS - STEPS // 2)
    for a, b in zip(resumed, straight):
        np.testing.assert_array_equal(as_numpy(a), as_numpy(b))


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_torch_state_dict_loads_and_continues_torch_trajectory(name, kwargs):
    arrays = initial_arrays()
    torch_params = make_params(torch, arrays, "float64")
    torch_opt = getattr(torch.optim, name)(torch_params, **kwargs)
    run_together([(torch, torch_opt, torch_params)], STEPS // 2)

    params = make_params(pydl, stored_arrays(torch_params), "float64")
    opt = getattr(pydl.optim, name)(params, **kwargs)
    opt.load_state_dict(to_pydl_state_dict(torch_opt.state_dict()))
    run_together([(torch, torch_opt, torch_params), (pydl, opt, params)], STEPS - STEPS // 2)
    assert_params_close(params, torch_params, "float64")
    assert_state_dicts_equal(opt.state_dict(), torch_opt.state_dict(), "float64")


def test_load_state_dict_casts_state_to_the_param_dtype_but_keeps_step():
    p32 = [pydl.randn(3, requires_grad=True)]
    opt = pydl.optim.Adam(p32)
    run_once(opt, p32)
    p64 = [pydl.randn(3, dtype=pydl.float64, requires_grad=True)]
    opt64 = pydl.optim.Adam(p64)
    opt64.load_state_dict(opt.state_dict())
    state = opt64.state[p64[0]]
    assert state["exp_avg"].dtype == pydl.float64 and state["exp_avg_sq"].dtype == pydl.float64
    assert state["step"].dtype == pydl.float32 and state["step"].item() == 1.0


def run_once(opt, params):
    opt.zero_grad()
    sum((p * p).sum() for p in params).backward()
    opt.step()


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.01, momentum=0.9)), ("Adam", dict(lr=0.01)),
                                         ("RMSprop", dict(lr=0.01, centered=True))])
def test_param_groups_with_their_own_options(name, kwargs):
    arrays = initial_arrays()
    runs = []
    for lib in (torch, pydl):
        params = make_params(lib, arrays, "float64")
        groups = [{"params": params[:2], "lr": 0.1}, {"params": params[2:], "weight_decay": 0.2}]
        runs.append((lib, getattr(lib.optim, name)(groups, **kwargs), params))
    run_together(runs, STEPS)
    (_, torch_opt, torch_params), (_, opt, params) = runs
    assert_params_close(params, torch_params, "float64")
    assert_state_dicts_equal(opt.state_dict(), torch_opt.state_dict(), "float64")
    assert [g["lr"] for g in opt.param_groups] == [0.1, kwargs["lr"]]


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.01, momentum=0.9)), ("Adam", dict(lr=0.01))])
def test_training_with_autograd_gradients_matches_torch(name, kwargs):
    arrays = initial_arrays()
    params, torch_params = make_params(pydl, arrays, "float64"), make_params(torch, arrays, "float64")
    run_steps(pydl, getattr(pydl.optim, name)(params, **kwargs), params, STEPS)
    run_steps(torch, getattr(torch.optim, name)(torch_params, **kwargs), torch_params, STEPS)
    assert_params_close(params, torch_params, "float64")


def test_add_param_group_and_named_parameters_match_torch():
    arrays = initial_arrays()
    dicts = []
    for lib in (pydl, torch):
        params = make_params(lib, arrays, "float64")
        opt = lib.optim.SGD([("a", params[0]), ("b", params[1])], lr=0.1, momentum=0.9)
        opt.add_param_group({"params": [("c", p) for p in params[2:]], "lr": 0.01})
        run_steps(lib, opt, params, 3)
        dicts.append(opt.state_dict())
    assert dicts[0]["param_groups"] == dicts[1]["param_groups"]
    assert dicts[0]["param_groups"][1]["param_names"] == ["c"] * (len(LAYOUTS) - 2)


def test_closure_is_evaluated_with_grad_enabled_and_its_loss_returned():
    arrays = initial_arrays()
    params = make_params(pydl, arrays, "float64")
    reference = make_params(pydl, arrays, "float64")
    opt = pydl.optim.Adam(params, lr=0.01)
    ref_opt = pydl.optim.Adam(reference, lr=0.01)
    calls = []

    def closure():
        assert pydl.is_grad_enabled()
        opt.zero_grad()
        loss = loss_fn(pydl, params)
        loss.backward()
        calls.append(loss.item())
        return loss

    with pydl.no_grad():
        loss = opt.step(closure)
    run_steps(pydl, ref_opt, reference, 1)
    assert len(calls) == 1 and loss.item() == calls[0]
    for a, b in zip(params, reference):
        np.testing.assert_array_equal(as_numpy(a), as_numpy(b))
    assert opt.step() is None


def test_step_hooks_run_in_order_and_handles_remove_them():
    params = [pydl.randn(3, requires_grad=True)]
    opt = pydl.optim.SGD(params, lr=0.1)
    log = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: log.append(("pre", o is opt, args, kwargs)))
    post = opt.register_step_post_hook(lambda o, args, kwargs: log.append(("post", o is opt)))
    glob = pydl.optim.register_optimizer_step_pre_hook(lambda o, args, kwargs: log.append(("global", o is opt)))
    try:
        run_once(opt, params)
        assert log == [("global", True), ("pre", True, (), {}), ("post", True)]
    finally:
        glob.remove()
    pre.remove()
    post.remove()
    log.clear()
    run_once(opt, params)
    assert log == []


def test_step_pre_hook_may_replace_the_arguments_and_must_return_a_pair():
    params = [pydl.randn(3, requires_grad=True)]
    opt = pydl.optim.SGD(params, lr=0.1)
    seen = []

    def closure():
        seen.append(True)
        return 7.0

    handle = opt.register_step_pre_hook(lambda o, args, kwargs: ((), {"closure": closure}))
    params[0].grad = pydl.ones(3)
    assert opt.step() == 7.0 and seen == [True]
    handle.remove()
    opt.register_step_pre_hook(lambda o, args, kwargs: 3)
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.step()


def test_zero_grad_sets_none_or_zeros():
    params = [pydl.randn(3, requires_grad=True)]
    opt = pydl.optim.SGD(params, lr=0.1)
    (params[0] * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(as_numpy(params[0].grad), np.zeros(3, np.float32))
    opt.zero_grad()
    assert params[0].grad is None


def test_step_state_bumps_versions_and_leaves_grads_alone():
    p = pydl.randn(4, 3, requires_grad=True)
    opt = pydl.optim.Adam([p], lr=0.01, weight_decay=0.1, maximize=True)
    p.grad = pydl.randn(4, 3)
    grad_before = as_numpy(p.grad).copy()
    version = p._version
    opt.step()
    opt.step()
    np.testing.assert_array_equal(as_numpy(p.grad), grad_before)
    assert p._version > version
    step = opt.state[p]["step"]
    assert step.dtype == pydl.float32 and step.dim() == 0 and step.item() == 2.0


def test_tensor_lr_is_read_as_a_number():
    arrays = initial_arrays()
    a, b = make_params(pydl, arrays, "float32"), make_params(pydl, arrays, "float32")
    run_steps(pydl, pydl.optim.Adam(a, lr=pydl.tensor(0.01)), a, 3)
    run_steps(pydl, pydl.optim.Adam(b, lr=0.01), b, 3)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(as_numpy(x), as_numpy(y))


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
                                  "RAdam"])
def test_repr_matches_torch(name):
    kwargs = {} if name == "Adadelta" else {"lr": 0.01}
    assert repr(getattr(pydl.optim, name)([pydl.randn(2, requires_grad=True)], **kwargs)) == \
        repr(getattr(torch.optim, name)([torch.randn(2, requires_grad=True)], **kwargs))


# --- Lion: not in torch; a NumPy reference in the parameter's own dtype.
def lion_reference(arrays, grads_fn, lr, betas=(0.9, 0.99), weight_decay=0.0, maximize=False, steps=STEPS,
                   dtype=np.float64):
    params = [np.array(a, dtype=dtype) for a in arrays]
    avgs = [np.zeros_like(p) for p in params]
    b1, b2, c = dtype(betas[0]), dtype(betas[1]), dtype(1 - lr * weight_decay)
    for _ in range(steps):
        for p, m, g in zip(params, avgs, grads_fn(params)):
            g = -g if maximize else g
            update = np.sign(m * b1 + dtype(1 - betas[0]) * g)
            if weight_decay:
                p *= c
            p += dtype(-lr) * update
            m[...] = m * b2 + dtype(1 - betas[1]) * g
    return params


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kwargs", [dict(lr=0.01), dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.5),
                                    dict(lr=0.005, maximize=True)])
def test_lion_matches_numpy_reference(kwargs, dtype):
    params = make_params(pydl, initial_arrays(), dtype)[:UNUSED]
    start = [as_numpy(p).copy() for p in params]
    opt = pydl.optim.Lion(params, **kwargs)
    for _ in range(STEPS):
        for p, g in zip(params, numpy_grads([as_numpy(p) for p in params])):
            p.grad = pydl.tensor(g.copy())
        opt.step()
    expected = lion_reference(start, numpy_grads, dtype=getattr(np, dtype), **kwargs)
    for p, e in zip(params, expected):
        np.testing.assert_allclose(as_numpy(p), e, rtol=1e-6 if dtype == "float32" else 1e-12, atol=1e-7)
    assert set(opt.state_dict()["state"][0]) == {"exp_avg"}


def test_foreach_fused_capturable_are_accepted():
    arrays = initial_arrays()
    a, b = make_params(pydl, arrays, "float32"), make_params(pydl, arrays, "float32")
    run_steps(pydl, pydl.optim.Adam(a, lr=0.01, foreach=True, capturable=True), a, 2)
    run_steps(pydl, pydl.optim.Adam(b, lr=0.01, fused=True), b, 2)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(as_numpy(x), as_numpy(y))


def test_bench_suite_cases_run_and_match_torch(monkeypatch):
    """bench/suite_optim.py's quick cases agree with torch after one step (timing is not checked)."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "bench"))
    harness = pytest.importorskip("harness")
    suite_optim = pytest.importorskip("suite_optim")
    threads = pydl.get_num_threads(), torch.get_num_threads()
    try:
        fast = harness.Settings(repeats=1, warmup=0, target_ns=10_000)
        results = [r for c in suite_optim.cases(quick=True) for r in harness.run_case(c, [1], fast)]
    finally:
        pydl.set_num_threads(threads[0])
        torch.set_num_threads(threads[1])
    assert results and all(r.status == "ok" for r in results), [(r.name, r.status, r.detail) for r in results]
