"""Backward formulas of the reductions (prod, amax/amin, max/min along a dim, var/std and their
_mean forms, logsumexp, vector_norm, nansum) and of softmax/log_softmax: gradcheck and
gradgradcheck on smooth points, and PyTorch's values at the points where the derivative is a
convention (ties, zeros in prod, zero norms)."""
import numpy as np
import pytest

import pydl
from pydl.autograd import gradcheck, gradgradcheck
from test_autograd_ops import positive, t, transposed


def distinct(shape):
    """Float64 leaf with well-separated values: no ties for max/min to break."""
    n = int(np.prod(shape))
    vals = np.random.default_rng(1).permutation(n).astype(np.float64) * 0.37 - n * 0.15
    return pydl.tensor(vals.reshape(shape), dtype=pydl.float64, requires_grad=True)


REDUCTIONS = [  # name, f, input maker, node name
    ("prod", lambda x: x.prod(), lambda: t((3, 4)), "ProdBackward0"),
    ("prod_dim", lambda x: x.prod(1), lambda: transposed((3, 4)), "ProdBackward1"),
    ("prod_keepdim", lambda x: pydl.prod(x, 0, keepdim=True), lambda: t((3, 4)), "ProdBackward1"),
    ("amax", lambda x: x.amax(), lambda: distinct((3, 4)), "AmaxBackward0"),
    ("amax_dims", lambda x: x.amax((0, 2)), lambda: distinct((2, 3, 4)), "AmaxBackward0"),
    ("amin_keepdim", lambda x: x.amin(-1, keepdim=True), lambda: distinct((3, 4)), "AminBackward0"),
    ("max_all", lambda x: x.max(), lambda: distinct((3, 4)), None),
    ("max_dim", lambda x: x.max(1).values, lambda: distinct((3, 4)), "MaxBackward0"),
    ("min_dim_keepdim", lambda x: x.min(0, keepdim=True)[0], lambda: distinct((3, 4)), "MinBackward0"),
    ("max_dim_transposed", lambda x: x.t().max(-1)[0], lambda: distinct((3, 4)), "MaxBackward0"),
    ("var", lambda x: x.var(), lambda: t((3, 4)), "VarBackward0"),
    ("var_dim_corr0", lambda x: pydl.var(x, 1, correction=0), lambda: transposed((3, 4)), "VarBackward0"),
    ("std", lambda x: x.std(), lambda: t((3, 4)), "StdBackward0"),
    ("std_dims_keepdim", lambda x: x.std((0, 2), keepdim=True), lambda: t((2, 3, 4)), "StdBackward0"),
    ("var_mean", lambda x: pydl.var_mean(x, 1), lambda: t((3, 4)), "VarMeanBackward0"),
    ("std_mean", lambda x: pydl.std_mean(x, 0), lambda: t((3, 4)), "StdMeanBackward0"),
    ("logsumexp", lambda x: pydl.logsumexp(x, 1), lambda: transposed((3, 4)), "LogsumexpBackward0"),
    ("logsumexp_all_keepdim", lambda x: pydl.logsumexp(x, (0, 1), keepdim=True), lambda: t((3, 4)),
     "LogsumexpBackward0"),
    ("norm2", lambda x: x.norm(), lambda: t((3, 4)), "LinalgVectorNormBackward0"),
    ("norm2_dim", lambda x: pydl.linalg.vector_norm(x, 2, dim=1), lambda: transposed((3, 4)),
     "LinalgVectorNormBackward0"),
    ("norm1", lambda x: pydl.linalg.vector_norm(x, 1), lambda: t((3, 4)), "LinalgVectorNormBackward0"),
    ("norm3", lambda x: pydl.linalg.vector_norm(x, 3, dim=0), lambda: t((3, 4)), "LinalgVectorNormBackward0"),
    ("norm1.5", lambda x: pydl.linalg.vector_norm(x, 1.5), lambda: t((3, 4)), "LinalgVectorNormBackward0"),
    ("norm0.5", lambda x: pydl.linalg.vector_norm(x, 0.5, dim=1), lambda: t((3, 4)), "LinalgVectorNormBackward0"),
    ("norm_inf", lambda x: pydl.linalg.vector_norm(x, float("inf"), dim=1), lambda: distinct((3, 4)),
     "LinalgVectorNormBackward0"),
    ("norm_-inf", lambda x: pydl.linalg.vector_norm(x, float("-inf")), lambda: distinct((3, 4)),
     "LinalgVectorNormBackward0"),
    ("nansum", lambda x: pydl.nansum(x, 0), lambda: t((3, 4)), "NansumBackward0"),
    ("nanmean", lambda x: pydl.nanmean(x, 1), lambda: t((3, 4)), None),
    ("softmax", lambda x: pydl.softmax(x, 1), lambda: t((3, 4)), "SoftmaxBackward0"),
    ("softmax_dim0_transposed", lambda x: pydl.softmax(x, 0), lambda: transposed((3, 4)), "SoftmaxBackward0"),
    ("log_softmax", lambda x: pydl.log_softmax(x, -1), lambda: t((2, 3, 4)), "LogSoftmaxBackward0"),
    ("log_softmax_dim1", lambda x: pydl.nn.functional.log_softmax(x, dim=1), lambda: transposed((3, 4)),
     "LogSoftmaxBackward0"),
]
# Piecewise linear in x: the second derivative is 0 almost everywhere, still worth checking.
NOT_TWICE = {"norm1", "norm_inf", "norm_-inf"}


@pytest.mark.parametrize("name,f,make,node", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reduction_gradients(name, f, make, node):
    x = make()
    assert gradcheck(f, (x,))
    if name not in NOT_TWICE:
        assert gradgradcheck(f, (x,))
    if node is not None:
        out = f(x)
        out = out[0] if isinstance(out, tuple) else out
        assert out.grad_fn.name() == node


torch = pytest.importorskip("torch")


def grads_vs_torch(f, values, upstream=None):
    """Runs f(lib, x) on pydl and torch with the same float64 data and upstream gradient;
    returns the two input gradients as NumPy arrays."""
    xs = []
    for lib in (pydl, torch):
        x = lib.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)
        out = f(lib, x)
        g = np.ones(tuple(out.shape)) if upstream is None else np.asarray(upstream, dtype=np.float64)
        out.backward(lib.tensor(g))
        # torch leaves .grad None where its formula returns an undefined (zero) gradient
        xs.append(np.zeros(np.shape(values)) if x.grad is None else np.asarray(x.grad.tolist()))
    return xs


AT_CONVENTIONS = [  # name, f(lib, x), values
    ("prod_one_zero", lambda lib, x: x.prod(), [[2.0, 0.0, 3.0], [1.5, -1.0, 4.0]]),
    ("prod_two_zeros", lambda lib, x: x.prod(), [2.0, 0.0, 0.0, 5.0]),
    ("prod_dim_zeros", lambda lib, x: x.prod(1), [[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0]]),
    ("prod_dim0_zero", lambda lib, x: x.prod(0, keepdim=True), [[2.0, 0.0], [0.0, 4.0], [3.0, 5.0]]),
    ("amax_ties", lambda lib, x: x.amax(1), [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]),
    ("amin_ties_all", lambda lib, x: x.amin(), [[1.0, 3.0, 1.0], [2.0, 1.0, 2.0]]),
    ("max_all_ties", lambda lib, x: x.max(), [[1.0, 3.0, 3.0], [2.0, 3.0, 2.0]]),
    ("max_dim_ties", lambda lib, x: x.max(1)[0], [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]),
    ("min_dim_keepdim", lambda lib, x: x.min(0, keepdim=True)[0], [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]),
    ("max_0d", lambda lib, x: x.max(0)[0], 2.5),
    ("norm2_zero", lambda lib, x: lib.linalg.vector_norm(x, 2, dim=1), [[0.0, 0.0], [3.0, 4.0]]),
    ("norm3_zero_row", lambda lib, x: lib.linalg.vector_norm(x, 3, dim=1), [[0.0, 0.0], [3.0, -4.0]]),
    ("norm0.5_zero_elem", lambda lib, x: lib.linalg.vector_norm(x, 0.5), [0.0, 1.0, -4.0]),
    ("norm0", lambda lib, x: lib.linalg.vector_norm(x, 0), [0.0, 1.0, -4.0]),
    ("norm_inf_ties", lambda lib, x: lib.linalg.vector_norm(x, float("inf")), [3.0, -3.0, 1.0]),
    ("std_constant", lambda lib, x: x.std(1), [[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]),
    ("nansum_nan", lambda lib, x: lib.nansum(x), [1.0, float("nan"), 2.0]),
    ("nanmean_nan", lambda lib, x: lib.nanmean(x, 0), [[1.0, float("nan")], [3.0, 2.0]]),
]


@pytest.mark.parametrize("name,f,values", AT_CONVENTIONS, ids=[c[0] for c in AT_CONVENTIONS])
def test_gradient_matches_torch_at_conventions(name, f, values):
    ours, theirs = grads_vs_torch(f, values)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_prod_with_zeros_is_differentiable_twice():
    x = pydl.tensor([[2.0, 0.0, 3.0], [1.5, -1.0, 4.0]], dtype=pydl.float64, requires_grad=True)
    assert gradgradcheck(lambda x: x.prod(1), (x,))


def test_softmax_gradient_matches_torch_with_upstream_gradient():
    rng = np.random.default_rng(3)
    vals, up = rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    for fn in ("softmax", "log_softmax"):
        ours, theirs = grads_vs_torch(lambda lib, x: getattr(lib, fn)(x, 1), vals, up)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_softmax_dtype_cast_gradient_returns_in_input_dtype():
    x = pydl.tensor([[1.0, 2.0, 0.5]], dtype=pydl.float32, requires_grad=True)
    y = pydl.softmax(x, 1, dtype=pydl.float64)
    assert y.dtype == pydl.float64
    (y * pydl.tensor([[1.0, 0.0, 0.0]], dtype=pydl.float64)).sum().backward()
    xt = torch.tensor([[1.0, 2.0, 0.5]], requires_grad=True)
    (torch.softmax(xt, 1, dtype=torch.float64) * torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64)).sum().backward()
    assert x.grad.dtype == pydl.float32
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6)


def test_max_indices_do_not_require_grad():
    values, indices = distinct((3, 4)).max(1)
    assert values.requires_grad and not indices.requires_grad


def test_var_mean_both_outputs_contribute():
    ours, theirs = grads_vs_torch(lambda lib, x: sum(o.sum() * w for o, w in zip(lib.var_mean(x, 1), (2.0, 3.0))),
                                  [[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_no_grad_records_nothing():
    x = t((3, 4))
    with pydl.no_grad():
        for y in (x.prod(), x.amax(1), x.max(1)[0], x.var(), x.std(0), pydl.logsumexp(x, 1), x.norm(),
                  pydl.softmax(x, 1), pydl.var_mean(x)[0]):
            assert not y.requires_grad and y.grad_fn is None
