"""Random numbers: Philox known answers, the word -> value mapping of csrc/core/philox.h
(re-derived here in pure Python), reproducibility, generators and RNG state, independence from
threads and layout, statistics, argument handling vs PyTorch, errors, CPU == CUDA."""
import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")

M32 = 0xFFFFFFFF


def philox_ref(seed, block, stream=0):
    """Philox4x32-10 (Salmon et al. 2011): key = 64-bit seed, counter = (block, stream) halves."""
    c = [block & M32, block >> 32, stream & M32, stream >> 32]
    k = [seed & M32, seed >> 32]
    for _ in range(10):
        p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k[0]) & M32, p1 & M32, ((p0 >> 32) ^ c[3] ^ k[1]) & M32, p0 & M32]
        k = [(k[0] + 0x9E3779B9) & M32, (k[1] + 0xBB67AE85) & M32]
    return c


# Random123's published known-answer vectors for philox4x32_10.
KAT = [((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
       ((M32,) * 4, (M32, M32), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
       ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1))]


@pytest.fixture(autouse=True)
def restore_rng_and_threads():
    state, threads = pydl.get_rng_state(), pydl.get_num_threads()
    yield
    pydl.set_rng_state(state)
    pydl.set_num_threads(threads)


def state_bytes(seed, offset):
    return pydl.from_numpy(np.array([seed, offset], dtype=np.uint64).view(np.uint8).copy())


@pytest.mark.parametrize("ctr,key,want", KAT)
def test_philox_known_answers(ctr, key, want):
    seed, block, stream = key[0] | key[1] << 32, ctr[0] | ctr[1] << 32, ctr[2] | ctr[3] << 32
    assert philox_ref(seed, block, stream) == list(want)  # the reference itself is right
    assert tuple(pydl._C._philox(seed, block, stream)) == want


def test_philox_matches_reference_on_random_inputs():
    rng = np.random.default_rng(0)
    for _ in range(200):
        s, b, st = (int(x) for x in rng.integers(0, 2**63, 3, dtype=np.uint64))
        assert list(pydl._C._philox(s * 2 + 1, b, st)) == philox_ref(s * 2 + 1, b, st)


def test_kat_through_the_public_api():
    """manual_seed(0) keys Philox with 0 and starts at block 0: a full-range int64 randint draws
    lanes of two 64-bit words (2j, 2j+1) each, shifted by low = -2**63."""
    pydl.manual_seed(0)
    lanes = [int(v) + 2**63 for v in pydl.randint(-(2**63), 2**63 - 1, (2,)).numpy()]
    assert [lanes[0] >> 32, lanes[0] & M32, lanes[1] >> 32, lanes[1] & M32] == list(KAT[0][2])
    pydl.manual_seed(0)
    assert pydl.randint(0, 2**32 - 1, (4,)).numpy().tolist() == list(KAT[0][2])  # 32-bit lanes
    pydl.manual_seed(0)
    wide = pydl.randint(0, 2**32, (4,)).numpy().tolist()  # range 2**32 is already a 64-bit draw
    w1 = philox_ref(0, 1)
    assert wide == [KAT[0][2][1], KAT[0][2][3], w1[1], w1[3]]


@pytest.mark.parametrize("seed,offset", [(0, 0), (1, 5), (2**64 - 1, 2**40), (12345, 0)])
def test_uniform_mapping_and_offsets(seed, offset):
    pydl.set_rng_state(state_bytes(seed, offset))
    x = pydl.rand(10).numpy()  # 3 blocks of 4 lanes: (w >> 8) / 2**24
    want = [(philox_ref(seed, offset + i // 4)[i % 4] >> 8) / 2**24 for i in range(10)]
    assert x.tolist() == pytest.approx(want, abs=0) and x.dtype == np.float32
    d = pydl.rand(3, dtype=pydl.float64).numpy()  # then 2 lanes per block, 53 bits from 2 words
    words = [philox_ref(seed, offset + 3 + i // 2) for i in range(3)]
    want64 = [((w[2 * (i % 2)] << 32 | w[2 * (i % 2) + 1]) >> 11) / 2**53 for i, w in enumerate(words)]
    assert d.tolist() == want64
    seed_after, offset_after = pydl.get_rng_state().numpy().view(np.uint64).tolist()
    assert (seed_after, offset_after) == (seed, offset + 3 + 2)


def test_randint_and_bernoulli_mapping():
    pydl.set_rng_state(state_bytes(7, 3))
    r = pydl.randint(5, 15, (6,)).numpy().tolist()
    assert r == [5 + philox_ref(7, 3 + i // 4)[i % 4] % 10 for i in range(6)]
    b = pydl.empty(5).bernoulli_(0.3).numpy().tolist()
    assert b == [float(philox_ref(7, 5 + i // 4)[i % 4] / 2**32 < 0.3) for i in range(5)]


DRAWS = {
    "rand": lambda g: pydl.rand(1000, generator=g), "rand64": lambda g: pydl.rand(999, dtype=pydl.float64, generator=g),
    "randn": lambda g: pydl.randn(1001, generator=g), "randn64": lambda g: pydl.randn(7, 3, dtype=pydl.float64, generator=g),
    "randint": lambda g: pydl.randint(0, 10, (1000,), generator=g),
    "randint_big": lambda g: pydl.randint(-(2**40), 2**40, (99,), generator=g),
    "randperm": lambda g: pydl.randperm(100, generator=g),
    "bernoulli": lambda g: pydl.bernoulli(pydl.full((1000,), 0.3), generator=g),
    "bernoulli_p": lambda g: pydl.bernoulli(pydl.zeros(500), 0.7, generator=g),
    "normal_tt": lambda g: pydl.normal(pydl.zeros(100), pydl.ones(100), generator=g),
    "normal_ff": lambda g: pydl.normal(0.0, 1.0, (100,), generator=g),
    "normal_tf": lambda g: pydl.normal(pydl.zeros(100), 2.0, generator=g),
    "normal_ft": lambda g: pydl.normal(1.0, pydl.ones(100), generator=g),
    "uniform_": lambda g: pydl.empty(100).uniform_(-2, 3, generator=g),
    "normal_": lambda g: pydl.empty(100).normal_(1, 2, generator=g),
    "bernoulli_": lambda g: pydl.empty(100).bernoulli_(0.4, generator=g),
    "random_": lambda g: pydl.empty(100, dtype=pydl.int32).random_(5, 10, generator=g),
    "rand_half": lambda g: pydl.rand(1000, dtype=pydl.float16, generator=g).float(),
    "rand_like": lambda g: pydl.rand_like(pydl.zeros(5, 5), generator=g),
    "multinomial": lambda g: pydl.multinomial(pydl.ones(3, 50), 20, generator=g),
    "multinomial_r": lambda g: pydl.multinomial(pydl.ones(50), 200, True, generator=g),
}


@pytest.mark.parametrize("use_gen", [False, True], ids=["global", "Generator"])
@pytest.mark.parametrize("name", DRAWS)
def test_reproducible(name, use_gen):
    def run(seed, skip=0):
        g = pydl.Generator().manual_seed(seed) if use_gen else None
        if not use_gen:
            pydl.manual_seed(seed)
        for _ in range(skip):
            DRAWS[name](g)
        return DRAWS[name](g).numpy()
    a = run(1)
    np.testing.assert_array_equal(a, run(1))
    assert not np.array_equal(a, run(2)), "different seeds must differ"
    assert not np.array_equal(a, run(1, skip=1)), "consecutive draws must differ"
    pydl.set_num_threads(1)
    np.testing.assert_array_equal(a, run(1))


def test_independent_of_threads_for_large_tensors():
    out = {}
    for threads in (1, 2, 4):
        pydl.set_num_threads(threads)
        pydl.manual_seed(3)
        out[threads] = [pydl.rand(300_001).numpy(), pydl.randn(200_003, dtype=pydl.float64).numpy(),
                        pydl.randint(0, 1000, (100_000,)).numpy()]
    for threads in (2, 4):
        for a, b in zip(out[1], out[threads]):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("op", ["uniform_", "normal_", "bernoulli_", "random_"])
def test_independent_of_layout(op):
    args = {"uniform_": (), "normal_": (), "bernoulli_": (0.5,), "random_": (0, 100)}[op]
    pydl.manual_seed(4)
    a = getattr(pydl.empty(300, 400), op)(*args)
    pydl.manual_seed(4)
    t = pydl.empty(400, 300).t()
    b = getattr(t, op)(*args)
    assert b.stride() == (1, 300)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    base = pydl.zeros(10, 10)
    pydl.manual_seed(4)
    getattr(base[::2, 1::2], op)(*args)
    assert not base.numpy()[1::2].any() and not base.numpy()[:, ::2].any()  # only the view is written


def test_generators_are_independent_and_stateful():
    g1, g2 = pydl.Generator(), pydl.Generator()
    assert g1.manual_seed(9) is g1 and g1.initial_seed() == 9 and g1.device == pydl.device("cpu")
    g2.manual_seed(9)
    pydl.manual_seed(0)
    before = pydl.get_rng_state().numpy().tolist()
    a = pydl.rand(50, generator=g1).numpy()
    assert pydl.get_rng_state().numpy().tolist() == before  # the default generator did not move
    np.testing.assert_array_equal(a, pydl.rand(50, generator=g2).numpy())
    s = g1.get_state()
    x = pydl.randn(20, generator=g1).numpy()
    g1.set_state(s)
    np.testing.assert_array_equal(x, pydl.randn(20, generator=g1).numpy())
    assert isinstance(g1.seed(), int)


def test_global_rng_state_round_trip():
    pydl.manual_seed(11)
    assert pydl.initial_seed() == 11
    s = pydl.get_rng_state()
    assert s.dtype == pydl.uint8 and tuple(s.shape) == (16,)
    a = [pydl.randn(10).numpy(), pydl.randint(0, 5, (10,)).numpy(), pydl.randperm(10).numpy()]
    pydl.set_rng_state(s)
    b = [pydl.randn(10).numpy(), pydl.randint(0, 5, (10,)).numpy(), pydl.randperm(10).numpy()]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(TypeError):
        pydl.set_rng_state(pydl.zeros(16))
    with pytest.raises(RuntimeError):
        pydl.set_rng_state(pydl.zeros(8, dtype=pydl.uint8))


def test_seeds_like_torch():
    for s in [0, 1, 2**63, 2**64 - 1, -1, -(2**63)]:
        pydl.manual_seed(s)
        torch.manual_seed(s)
        assert pydl.initial_seed() == torch.initial_seed()
    for bad in [2**64, -(2**63) - 1]:
        with pytest.raises(ValueError):
            pydl.manual_seed(bad)
    s = pydl.seed()
    assert isinstance(s, int) and pydl.initial_seed() == s
    torch.manual_seed(torch.initial_seed())


# --- statistics (1e5 samples, loose bounds)
N = 100_000


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_rand_randn_statistics(dtype):
    pydl.manual_seed(5)
    u = pydl.rand(N, dtype=getattr(pydl, dtype)).double().numpy()
    assert u.min() >= 0 and abs(u.mean() - 0.5) < 0.01 and abs(u.std() - 12**-0.5) < 0.01
    z = pydl.randn(N, dtype=getattr(pydl, dtype)).double().numpy()
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02 and np.abs(z).max() < 6
    assert abs((np.abs(z) < 1).mean() - 0.6827) < 0.01


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rand_upper_bound_exclusive(dtype):
    pydl.manual_seed(6)
    assert pydl.rand(10 * N, dtype=getattr(pydl, dtype)).numpy().max() < 1


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_rand_half_types_stay_below_one(dtype):
    pydl.manual_seed(6)
    assert pydl.rand(10 * N, dtype=getattr(pydl, dtype)).float().numpy().max() < 1


def test_uniform_normal_in_place_statistics():
    x = pydl.empty(N).uniform_(-3, 5).numpy()
    assert x.min() >= -3 and x.max() < 5 and abs(x.mean() - 1) < 0.05
    y = pydl.empty(N, dtype=pydl.float64).normal_(10, 0.5).numpy()
    assert abs(y.mean() - 10) < 0.01 and abs(y.std() - 0.5) < 0.01
    z = pydl.normal(pydl.full((N,), -4.0), pydl.full((N,), 3.0)).numpy()
    assert abs(z.mean() + 4) < 0.05 and abs(z.std() - 3) < 0.05
    assert (pydl.empty(10).uniform_(2, 2).numpy() == 2).all()


@pytest.mark.parametrize("low,high,dtype", [(0, 10, "int64"), (-3, 3, "int64"), (0, 2, "bool"), (-128, 128, "int8"),
                                            (0, 256, "uint8"), (5, 6, "int32"), (-(2**40), 2**40, "int64"),
                                            (0, 100, "float32"), (-7, 7, "int16")])
def test_randint_bounds_and_uniformity(low, high, dtype):
    r = pydl.randint(low, high, (N,), dtype=getattr(pydl, dtype)).numpy().astype(np.float64)
    assert r.min() >= low and r.max() <= high - 1 and (r == np.floor(r)).all()
    if high - low <= 256:
        assert r.min() == low and r.max() == high - 1  # both ends are reached
        counts = np.bincount((r - low).astype(np.int64), minlength=high - low)
        expected = N / (high - low)
        chi2 = ((counts - expected) ** 2 / expected).sum()
        assert chi2 < (high - low) + 6 * np.sqrt(2 * (high - low))


@pytest.mark.parametrize("n", [0, 1, 2, 10, 1000, 70_000])
@pytest.mark.parametrize("dtype", ["int64", "int32", "float32"])
def test_randperm_is_a_permutation(n, dtype):
    p = pydl.randperm(n, dtype=getattr(pydl, dtype))
    assert p.dtype == getattr(pydl, dtype) and tuple(p.shape) == (n,)
    assert np.array_equal(np.sort(p.numpy()), np.arange(n))
    if n >= 10:
        assert not np.array_equal(p.numpy(), np.arange(n))


@pytest.mark.parametrize("name,top", [("bool", 1), ("uint8", 255), ("int8", 127), ("int16", 32767), ("float16", 2048),
                                      ("bfloat16", 256), ("int32", 2**31 - 1), ("float32", 2**24)])
def test_random_default_range_like_torch(name, top):
    r = pydl.empty(N, dtype=getattr(pydl, name)).random_().double().numpy()
    t = torch.empty(N, dtype=getattr(torch, name)).random_().double().numpy()
    assert r.min() >= 0 and r.max() <= top and t.max() <= top and (r == np.floor(r)).all()
    if top <= 2048:
        assert r.min() == 0 and r.max() == top
    else:
        assert r.max() > 0.99 * top
    assert pydl.empty(N, dtype=getattr(pydl, name)).random_(2).double().numpy().max() == 1


def test_bernoulli_statistics():
    p = pydl.bernoulli(pydl.full((N,), 0.25, dtype=pydl.float64))
    assert p.dtype == pydl.float64 and set(np.unique(p.numpy())) <= {0.0, 1.0}
    assert abs(p.numpy().mean() - 0.25) < 0.01
    q = pydl.linspace(0, 1, N)
    draws = pydl.bernoulli(q).numpy()
    assert draws[0] == 0 and draws[-1] == 1 and abs(draws.mean() - 0.5) < 0.01
    assert abs(pydl.empty(N, dtype=pydl.int32).bernoulli_(0.8).numpy().mean() - 0.8) < 0.01
    t = pydl.empty(N).bernoulli_(pydl.full((N,), 0.1))
    assert abs(t.numpy().mean() - 0.1) < 0.01


# --- shapes and dtypes vs PyTorch
SHAPE_CASES = [
    ("rand", lambda m: m.rand(2, 3)), ("rand_list", lambda m: m.rand([2, 3])), ("rand_size", lambda m: m.rand(size=(4,))),
    ("rand0d", lambda m: m.rand(())), ("rand64", lambda m: m.rand(2, dtype=m.float64)),
    ("randn_grad", lambda m: m.randn(3, requires_grad=True)),
    ("randint", lambda m: m.randint(10, (2, 3))), ("randint3", lambda m: m.randint(1, 10, (3,))),
    ("randint_kw", lambda m: m.randint(low=2, high=10, size=(2,))), ("randint_high_kw", lambda m: m.randint(high=10, size=(2,))),
    ("randint_f", lambda m: m.randint(0, 10, (3,), dtype=m.float32)), ("randint_bool", lambda m: m.randint(0, 2, (3,), dtype=m.bool)),
    ("randperm_i8", lambda m: m.randperm(5, dtype=m.int8)),
    ("normal_bcast", lambda m: m.normal(m.zeros(3), m.ones(2, 1))), ("normal_bcast2", lambda m: m.normal(m.zeros(2, 3), m.ones(3))),
    ("normal_0d", lambda m: m.normal(m.zeros(()), m.ones(3))),
    ("normal_f64_mean", lambda m: m.normal(m.zeros(3, dtype=m.float64), 1.0)),
    ("normal_f64_std", lambda m: m.normal(2.0, m.ones(3, dtype=m.float64))),
    ("normal_mixed", lambda m: m.normal(m.zeros(3, dtype=m.float16), m.ones(3, dtype=m.float64))),
    ("normal_mixed2", lambda m: m.normal(m.zeros(3), m.ones(3, dtype=m.float64))),
    ("normal_size", lambda m: m.normal(0.0, 1.0, size=(2, 3), dtype=m.float64)), ("normal_ints", lambda m: m.normal(0, 1, (2,))),
    ("bernoulli_p", lambda m: m.bernoulli(m.zeros(2, 3, dtype=m.int32), 0.5)),
    ("bernoulli_t", lambda m: m.empty(2, 3).bernoulli_(m.full((3,), 0.5))),
    ("multinomial", lambda m: m.multinomial(m.ones(4), 2)), ("multinomial2d", lambda m: m.ones(3, 4).multinomial(9, True)),
    ("like", lambda m: m.randn_like(m.zeros(2, 2, dtype=m.float64))), ("int_like", lambda m: m.randint_like(m.zeros(4), 3, 9)),
]


@pytest.mark.parametrize("name,fn", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_shapes_and_dtypes_like_torch(name, fn):
    p, t = fn(pydl), fn(torch)
    assert tuple(p.shape) == tuple(t.shape)
    assert repr(p.dtype).split(".")[-1] == repr(t.dtype).split(".")[-1]
    assert p.requires_grad == t.requires_grad


ERROR_CASES = [
    ("rand_int", lambda m: m.rand(3, dtype=m.int32)), ("randn_long", lambda m: m.randn(3, dtype=m.int64)),
    ("randint_empty", lambda m: m.randint(5, 5, (3,))), ("randint_rev", lambda m: m.randint(5, 2, (3,))),
    ("randint_i8", lambda m: m.randint(0, 300, (3,), dtype=m.int8)), ("randint_u8", lambda m: m.randint(-5, 5, (3,), dtype=m.uint8)),
    ("randint_bool", lambda m: m.randint(0, 3, (3,), dtype=m.bool)), ("random_i8", lambda m: m.empty(3, dtype=m.int8).random_(300)),
    ("normal_neg", lambda m: m.normal(0.0, -1.0, (3,))), ("normal_neg_t", lambda m: m.normal(m.zeros(3), -1.0)),
    ("normal_neg_std_t", lambda m: m.normal(m.zeros(3), m.full((3,), -1.0))), ("normal_neg_", lambda m: m.empty(3).normal_(0, -1)),
    ("normal_int_mean", lambda m: m.normal(m.zeros(3, dtype=m.int64), m.ones(3))),
    ("normal_bad_shape", lambda m: m.normal(m.zeros(2, 3), m.ones(4))),
    ("bern_p", lambda m: m.empty(3).bernoulli_(1.5)), ("bern_neg", lambda m: m.empty(3).bernoulli_(-0.1)),
    ("bern_tensor", lambda m: m.bernoulli(m.full((3,), 1.5))), ("bern_int", lambda m: m.bernoulli(m.zeros(3, dtype=m.int64))),
    ("bern_t_", lambda m: m.empty(3).bernoulli_(m.full((3,), 1.5))),
    ("uniform_rev", lambda m: m.empty(3).uniform_(2, 1)), ("uniform_int", lambda m: m.empty(3, dtype=m.int64).uniform_()),
    ("normal_int_", lambda m: m.empty(3, dtype=m.int32).normal_()),
    ("randperm_neg", lambda m: m.randperm(-1)), ("randperm_i8", lambda m: m.randperm(129, dtype=m.int8)),
    ("randperm_u8", lambda m: m.randperm(257, dtype=m.uint8)), ("randperm_f16", lambda m: m.randperm(2050, dtype=m.float16)),
    ("randint_nosize", lambda m: m.randint(5)),
    ("mn_int", lambda m: m.multinomial(m.ones(3, dtype=m.int64), 1)), ("mn_3d", lambda m: m.multinomial(m.ones(2, 2, 2), 1)),
    ("mn_zero_n", lambda m: m.multinomial(m.ones(3), 0)), ("mn_too_many", lambda m: m.multinomial(m.ones(3), 4)),
    ("mn_neg", lambda m: m.multinomial(m.tensor([1.0, -1.0]), 1)), ("mn_nan", lambda m: m.multinomial(m.tensor([1.0, float("nan")]), 1)),
    ("mn_inf", lambda m: m.multinomial(m.tensor([1.0, float("inf")]), 1, True)),
    ("mn_sum0", lambda m: m.multinomial(m.zeros(3), 1, True)),
    ("mn_empty", lambda m: m.multinomial(m.ones(0), 1, True)),
]


@pytest.mark.parametrize("name,fn", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_like_torch(name, fn):
    with pytest.raises(Exception) as et:
        fn(torch)
    # pydl raises torch's class or a subclass; NotImplementedError is a RuntimeError in Python
    want = RuntimeError if et.type is NotImplementedError else et.type
    with pytest.raises(want):
        fn(pydl)


def test_random_ops_bump_version():
    t = pydl.zeros(4)
    v = t._version
    t.uniform_()
    t.normal_()
    assert t._version >= v + 2


# --- CPU and CUDA agree
@pytest.mark.skipif(not pydl.cuda.is_available(), reason="no CUDA device")
def test_cpu_and_cuda_draw_the_same_numbers():
    for fn, exact in [(lambda d: pydl.rand(10_001, device=d), True), (lambda d: pydl.rand(999, dtype=pydl.float64, device=d), True),
                      (lambda d: pydl.randint(-5, 1000, (5_000,), device=d), True),
                      (lambda d: pydl.randint(0, 2**40, (777,), device=d), True),
                      (lambda d: pydl.empty(4097, device=d).bernoulli_(0.3), True),
                      (lambda d: pydl.randperm(1000, device=d), True),
                      (lambda d: pydl.randn(10_001, device=d), False),
                      (lambda d: pydl.randn(513, dtype=pydl.float64, device=d), False)]:
        pydl.manual_seed(21)
        a = fn("cpu").numpy()
        pydl.manual_seed(21)
        b = fn("cuda").cpu().numpy()
        if exact:
            np.testing.assert_array_equal(a, b)
        else:  # Box-Muller through each device's libm
            np.testing.assert_allclose(a, b, rtol=1e-5 if a.dtype == np.float32 else 1e-12, atol=1e-6)


# --- multinomial
@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_frequencies(replacement):
    """The first draw of each row follows the normalised weights; zero weights are never drawn."""
    w = np.array([0.5, 0.0, 3.0, 1.5, 0.0, 1.0])
    rows = 20_000
    pydl.manual_seed(3)
    s = pydl.multinomial(pydl.tensor(np.tile(w, (rows, 1))), 2 if not replacement else 5, replacement).numpy()
    assert s.dtype == np.int64 and not np.isin(s, [1, 4]).any()
    freq = np.bincount(s[:, 0], minlength=6) / rows
    np.testing.assert_allclose(freq, w / w.sum(), atol=0.015)  # ~4 standard errors at 20k draws
    if not replacement:
        assert (s[:, 0] != s[:, 1]).all()


def test_multinomial_without_replacement_takes_everything():
    pydl.manual_seed(0)
    w = pydl.tensor([0.1, 5.0, 0.2, 1.0], dtype=pydl.float32)
    s = w.multinomial(4).numpy()
    assert sorted(s.tolist()) == [0, 1, 2, 3]
    assert pydl.multinomial(pydl.tensor([0.0, 2.0]), 1).item() == 1  # the only positive category
    # as in torch, zero-weight categories follow once the others are drawn
    assert pydl.multinomial(pydl.tensor([0.0, 2.0, 0.0]), 3).tolist() == [1, 0, 2]
