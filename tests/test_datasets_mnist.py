"""pydl.datasets: the bundled MNIST subset, MNIST/FashionMNIST on IDX files in both layouts,
offline downloads failing clearly (urllib is patched, so no test touches the network), and
CIFAR10 on small binary files written here."""
import io
import tarfile
import urllib.error
import urllib.request

import numpy as np
import pytest

import pydl
from pydl.datasets import CIFAR10, MNIST, FashionMNIST, mnist_sample, transforms, write_idx


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No test may reach the network: every urlopen fails as it would offline."""
    calls = []

    def urlopen(url, *args, **kwargs):
        calls.append(url)
        raise urllib.error.URLError("network disabled in tests")
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return calls


# -- bundled subset --------------------------------------------------------------------------

@pytest.mark.parametrize("train,n", [(True, 4000), (False, 1000)])
def test_bundled_subset(train, n):
    ds = MNIST(train=train)
    assert len(ds) == n
    assert ds.data.shape == (n, 28, 28) and ds.data.dtype == pydl.uint8
    assert ds.targets.shape == (n,) and ds.targets.dtype == pydl.int64
    counts = np.bincount(ds.targets.numpy(), minlength=10)
    assert counts.tolist() == [n // 10] * 10  # stratified: every digit, equally often
    pixels = ds.data.numpy()
    assert pixels.max() == 255 and pixels.min() == 0
    # Digits are centred in MNIST: the 4-pixel border is nearly blank, the middle is not.
    assert pixels[:, :2, :].mean() < 1 and pixels[:, 10:18, 10:18].mean() > 50
    assert ds.classes[3] == "3 - three" and ds.class_to_idx["9 - nine"] == 9


def test_bundled_splits_are_disjoint_and_shuffled():
    train, test = mnist_sample(True), mnist_sample(False)
    a = train.data.numpy().reshape(len(train), -1)
    b = test.data.numpy().reshape(len(test), -1)
    assert not set(map(bytes, a)) & set(map(bytes, b))
    # Not sorted by label (the source CSV is).
    assert np.any(np.diff(train.targets.numpy()) < 0)


def test_bundled_orientation_upright():
    # A "1" is a mostly vertical stroke: its ink spreads further along rows than columns.
    ds = mnist_sample()
    ones = ds.data.numpy()[ds.targets.numpy() == 1].astype(float).mean(0)
    rows, cols = ones.sum(1), ones.sum(0)
    assert (rows > rows.max() / 4).sum() > (cols > cols.max() / 4).sum()


def test_getitem_without_transform():
    ds = mnist_sample()
    img, target = ds[0]
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == (28, 28)
    assert type(target) is int and target == int(ds.targets[0].item())
    np.testing.assert_array_equal(img, ds.data[0].numpy())
    img[...] = 0  # a copy: the dataset is untouched
    assert ds[0][0].any()
    assert ds[-1][1] == int(ds.targets[len(ds) - 1].item())
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_getitem_with_transforms():
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    ds = mnist_sample(train=False, transform=tf, target_transform=lambda y: y + 100)
    img, target = ds[5]
    raw = ds.data[5].numpy()
    assert img.shape == (1, 28, 28) and img.dtype == pydl.float32
    expected = (raw.astype(np.float32) / 255 - np.float32(0.1307)) / np.float32(0.3081)
    np.testing.assert_allclose(img.numpy()[0], expected, rtol=1e-6, atol=1e-6)
    assert target == int(ds.targets[5].item()) + 100
    assert "Transform: Compose(" in repr(ds) and "Target transform:" in repr(ds)


def test_getitem_follows_reassigned_data():
    ds = mnist_sample(train=False)
    ds.data, ds.targets = ds.data[:10], ds.targets[:10]
    assert len(ds) == 10 and ds[9][1] == int(ds.targets[9].item())
    with pytest.raises(IndexError):
        ds[10]


def test_repr():
    r = repr(MNIST(train=False))
    assert r.splitlines()[:3] == ["Dataset MNIST", "    Number of datapoints: 1000", "    Split: Test"]


# -- MNIST / FashionMNIST on written files ----------------------------------------------------

def _write_split(folder, prefix, n, gz, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{ext}", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{ext}", labels)
    return images, labels


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
@pytest.mark.parametrize("layout", ["torchvision", "flat"])
@pytest.mark.parametrize("gz", [False, True])
def test_reads_idx_files(tmp_path, cls, layout, gz):
    folder = tmp_path / cls.__name__ / "raw" if layout == "torchvision" else tmp_path
    train_imgs, train_lbls = _write_split(folder, "train", 7, gz, seed=1)
    test_imgs, test_lbls = _write_split(folder, "t10k", 3, gz, seed=2)
    for train, imgs, lbls in ((True, train_imgs, train_lbls), (False, test_imgs, test_lbls)):
        ds = cls(root=str(tmp_path), train=train)
        assert len(ds) == len(imgs)
        np.testing.assert_array_equal(ds.data.numpy(), imgs)
        np.testing.assert_array_equal(ds.targets.numpy(), lbls.astype(np.int64))
        assert ds.targets.dtype == pydl.int64
        img, target = ds[1]
        np.testing.assert_array_equal(img, imgs[1])
        assert target == int(lbls[1])
    assert FashionMNIST.classes[9] == "Ankle boot"


def test_pathlike_root_and_tilde(tmp_path, monkeypatch):
    _write_split(tmp_path / "MNIST" / "raw", "t10k", 2, gz=True)
    assert len(MNIST(tmp_path, train=False)) == 2
    monkeypatch.setenv("HOME", str(tmp_path))
    ds = MNIST("~", train=False)
    assert ds.root == str(tmp_path) and len(ds) == 2


def test_missing_files(tmp_path):
    with pytest.raises(RuntimeError, match=r"MNIST not found.*download=True.*root=None"):
        MNIST(root=tmp_path)
    with pytest.raises(RuntimeError, match=r"FashionMNIST not found"):
        FashionMNIST(root=tmp_path, train=False)


def test_fashion_has_no_bundled_subset():
    with pytest.raises(ValueError, match="FashionMNIST has no bundled subset"):
        FashionMNIST()


def test_mismatched_counts_and_types(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((3, 28, 28), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="holds 3 images but .* holds 2 labels"):
        MNIST(tmp_path, train=False)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(3, np.int32))
    with pytest.raises(ValueError, match=r"expected uint8 \(IDX type 0x08\) elements, got int32"):
        MNIST(tmp_path, train=False)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros((3, 1), np.uint8))
    with pytest.raises(ValueError, match=r"expected an IDX file with 1 dimension"):
        MNIST(tmp_path, train=False)


def test_truncated_download_is_reported(tmp_path):
    _write_split(tmp_path, "train", 4, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: truncated file: expected 3136"):
        MNIST(tmp_path)


@pytest.mark.parametrize("cls,host", [(MNIST, "ossci-datasets.s3.amazonaws.com"),
                                      (FashionMNIST, "fashion-mnist.s3-website")])
def test_download_offline_raises(tmp_path, _offline, cls, host):
    with pytest.raises(RuntimeError) as e:
        cls(root=tmp_path, download=True)
    msg = str(e.value)
    assert "train-images-idx3-ubyte.gz" in msg and host in msg
    assert all(url in msg for url in _offline)
    assert str(tmp_path / cls.__name__ / "raw") in msg
    if cls is MNIST:
        assert "yann.lecun.com" in msg and len(_offline) == 2 and "root=None" in msg
    assert not any((tmp_path / cls.__name__ / "raw").iterdir())  # no partial files left


def test_download_skipped_when_files_exist(tmp_path, _offline):
    _write_split(tmp_path / "MNIST" / "raw", "train", 2, gz=True)
    assert len(MNIST(tmp_path, download=True)) == 2 and not _offline


def test_download_checks_md5(tmp_path, monkeypatch):
    # A mirror serving the wrong bytes counts as failing, and nothing is kept.
    class Resp(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: Resp(b"not mnist"))
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        MNIST(tmp_path, download=True)
    assert not any((tmp_path / "MNIST" / "raw").iterdir())


# -- CIFAR10 ---------------------------------------------------------------------------------

def _cifar_records(n, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    # The binary layout: label byte, then the R, G and B planes.
    raw = b"".join(bytes([l]) + img.transpose(2, 0, 1).tobytes() for img, l in zip(images, labels))
    return images, labels, raw


def _write_cifar(folder):
    folder.mkdir(parents=True, exist_ok=True)
    train = [_cifar_records(2, seed=i) for i in range(1, 6)]
    for i, (_, _, raw) in enumerate(train, start=1):
        (folder / f"data_batch_{i}.bin").write_bytes(raw)
    test = _cifar_records(3, seed=9)
    (folder / "test_batch.bin").write_bytes(test[2])
    return train, test


@pytest.mark.parametrize("nested", [True, False])
def test_cifar10(tmp_path, nested):
    train, test = _write_cifar(tmp_path / "cifar-10-batches-bin" if nested else tmp_path)
    ds = CIFAR10(tmp_path, train=True)
    assert isinstance(ds.data, np.ndarray) and ds.data.shape == (10, 32, 32, 3)
    assert ds.data.dtype == np.uint8 and ds.data.flags.c_contiguous
    np.testing.assert_array_equal(ds.data, np.concatenate([t[0] for t in train]))
    assert ds.targets == [int(v) for t in train for v in t[1]]
    img, target = ds[3]
    np.testing.assert_array_equal(img, train[1][0][1])
    assert target == int(train[1][1][1]) and type(target) is int
    t = CIFAR10(tmp_path, train=False, transform=transforms.ToTensor())
    assert len(t) == 3
    x, _ = t[2]
    assert x.shape == (3, 32, 32)
    np.testing.assert_allclose(x.numpy(), test[0][2].transpose(2, 0, 1) / np.float32(255), rtol=1e-6)
    assert t.classes[0] == "airplane" and "Split: Test" in repr(t)


def test_cifar10_meta_names(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    _write_cifar(folder)
    (folder / "batches.meta.txt").write_text("\n".join(f"c{i}" for i in range(10)) + "\n\n")
    ds = CIFAR10(tmp_path, train=False)
    assert ds.classes[4] == "c4" and ds.class_to_idx["c9"] == 9


def test_cifar10_errors(tmp_path, _offline):
    with pytest.raises(RuntimeError, match=r"CIFAR10 not found.*test_batch\.bin"):
        CIFAR10(tmp_path, train=False)
    with pytest.raises(RuntimeError, match=r"cs\.toronto\.edu/~kriz/cifar-10-binary\.tar\.gz"):
        CIFAR10(tmp_path, download=True)
    folder = tmp_path / "cifar-10-batches-bin"
    _write_cifar(folder)
    (folder / "test_batch.bin").write_bytes(bytes(3073 * 2 + 10))
    with pytest.raises(ValueError, match=r"test_batch\.bin: truncated or not a CIFAR-10 binary file"):
        CIFAR10(tmp_path, train=False)
    bad = bytearray(3073)
    bad[0] = 12
    (folder / "test_batch.bin").write_bytes(bytes(bad))
    with pytest.raises(ValueError, match=r"record 0 has label 12"):
        CIFAR10(tmp_path, train=False)


def test_cifar10_download_extracts_only_batch_files(tmp_path, monkeypatch):
    # The archive as published, plus a hostile member that must not land outside root.
    src = tmp_path / "src"
    _, test = _write_cifar(src / "cifar-10-batches-bin")
    root = tmp_path / "root"
    root.mkdir()
    archive = root / "cifar-10-binary.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src / "cifar-10-batches-bin", arcname="cifar-10-batches-bin")
        for name in ("../evil.txt", "cifar-10-batches-bin/../../evil2.txt"):
            info = tarfile.TarInfo(name)
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
    # Stand in for the network: "downloading" hands back the archive made above.
    import pydl.datasets.cifar as cifar
    monkeypatch.setattr(cifar, "download_file", lambda filename, mirrors, folder, md5: str(archive))
    ds = CIFAR10(root, train=False, download=True)
    np.testing.assert_array_equal(ds.data, test[0])
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "evil2.txt").exists()
    assert sorted(p.name for p in (root / "cifar-10-batches-bin").iterdir()) == sorted(
        p.name for p in (src / "cifar-10-batches-bin").iterdir())
