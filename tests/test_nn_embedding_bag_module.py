"""nn.EmbeddingBag against torch with torch's weights copied in: every mode, 1-D input with
offsets (include_last_offset) and 2-D input, per_sample_weights, padding_idx, the weight
gradient, state_dict, repr and from_pretrained. (F.embedding_bag: test_nn_norm_init.py.)"""
import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")


def pair(**kwargs):
    torch.manual_seed(0)
    ref = torch.nn.EmbeddingBag(10, 3, **kwargs)
    mine = pydl.nn.EmbeddingBag(10, 3, **kwargs)
    assert list(mine.state_dict()) == list(ref.state_dict()) == ["weight"]
    mine.load_state_dict({"weight": pydl.from_numpy(ref.weight.detach().numpy().copy())})
    return mine, ref


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("layout", ["offsets", "last_offset", "2d"])
def test_matches_torch(mode, layout):
    mine, ref = pair(mode=mode, include_last_offset=layout == "last_offset", padding_idx=2)
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 9])
    extra = {}
    if layout == "2d":
        idx = idx.reshape(2, 4)
    else:
        extra["offsets"] = np.array([0, 2, 5, 8] if layout == "last_offset" else [0, 2, 5])
    outs = []
    for lib, m in ((pydl, mine), (torch, ref)):
        args = {k: lib.from_numpy(v.copy()) for k, v in extra.items()}
        out = m(lib.from_numpy(idx.copy()), **args)
        out.sum().backward()
        outs.append((out.detach().numpy(), m.weight.grad.numpy()))
    for got, want in zip(*outs):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_per_sample_weights_repr_and_from_pretrained():
    mine, ref = pair(mode="sum")
    idx, offsets, w = np.array([1, 2, 3]), np.array([0, 1]), np.array([0.5, 2.0, -1.0], dtype=np.float32)
    got = mine(pydl.from_numpy(idx), pydl.from_numpy(offsets), pydl.from_numpy(w))
    want = ref(torch.from_numpy(idx), torch.from_numpy(offsets), torch.from_numpy(w))
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-6)
    assert repr(mine) == repr(ref)
    bag = pydl.nn.EmbeddingBag.from_pretrained(pydl.ones(4, 2), mode="sum")
    assert not bag.weight.requires_grad and bag(pydl.tensor([[0, 1]])).tolist() == [[2.0, 2.0]]
    assert pydl.nn.EmbeddingBag(5, 2, padding_idx=-1).weight[4].abs().sum().item() == 0


def test_bad_arguments_like_torch():
    from torch_oracle import check_error
    check_error(AssertionError, lambda lib: lib.nn.EmbeddingBag(5, 2, padding_idx=5),
                "padding_idx must be within num_embeddings")
    check_error(AssertionError, lambda lib: lib.nn.EmbeddingBag.from_pretrained(lib.ones(4)),
                "Embeddings parameter is expected to be 2-dimensional")
