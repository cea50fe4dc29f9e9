"""examples/_cartpole.py, the NumPy fallback of the REINFORCE example, follows gymnasium's
CartPole-v1 step for step: same initial state for a seed, same states, rewards and ends."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

PATH = Path(__file__).resolve().parents[1] / "examples" / "_cartpole.py"


def numpy_cartpole():
    spec = importlib.util.spec_from_file_location("_cartpole", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CartPole()


def rollout(env, seed, actions):
    obs, _ = env.reset(seed=seed)
    trace = [obs]
    for action in actions:
        obs, reward, terminated, truncated, _ = env.step(int(action))
        trace.append(obs)
        assert reward == 1.0
        if terminated or truncated:
            break
    return np.stack(trace), terminated, truncated


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_fallback_matches_gymnasium(seed):
    gymnasium = pytest.importorskip("gymnasium")
    actions = np.random.default_rng(seed).integers(0, 2, 600)
    reference = gymnasium.make("CartPole-v1")
    want, want_term, want_trunc = rollout(reference, seed, actions)
    got, got_term, got_trunc = rollout(numpy_cartpole(), seed, actions)
    assert got.shape == want.shape  # the episode ends on the same step
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert (got_term, got_trunc) == (want_term, want_trunc)


def test_fallback_ends_when_the_pole_falls():
    env = numpy_cartpole()
    trace, terminated, truncated = rollout(env, 0, np.ones(600))  # always push right: it falls quickly
    assert terminated and not truncated and len(trace) < 100
    assert abs(trace[-1, 2]) > 12 * np.pi / 180 or abs(trace[-1, 0]) > 2.4


def test_fallback_needs_reset():
    with pytest.raises(RuntimeError, match="reset"):
        numpy_cartpole().step(0)
