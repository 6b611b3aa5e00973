"""The sweep examples (``examples/sweep_cuba.py``, ``examples/sweep_dc.py``), run in-process through their ``main``
on an in-process Dask client (one worker thread: the points run one after another in this process, sharing its
compiled loops), as the other examples are tested (``tests/test_examples.py``).

sweep_cuba: on a 2 x 2 grid of 500 neurons for 0.2 s, the packed sweep (the 4 points as the copies of one batched
network) gives every value of the unpacked one.  sweep_dc: its ``--quick`` search gives accuracies in [0, 1],
above chance on the digits, and one of its points equals the training function called directly with that point
and seed.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("pandas")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))


@pytest.fixture(scope="module")
def client():
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0") as c:
        yield c


def test_sweep_cuba_packed_equals_unpacked(client, tmp_path):
    import sweep_cuba

    tiny = ["--grid", "2", "--seeds", "1", "--neurons", "500", "--duration", "0.2", "--no-progress"]
    packed = sweep_cuba.main(tiny + ["--out", str(tmp_path / "packed.png")], client=client)
    alone = sweep_cuba.main(tiny + ["--no-pack", "--out", str(tmp_path / "alone.png")], client=client)
    assert len(packed) == len(alone) == 4
    assert packed.error.isna().all() and alone.error.isna().all()
    assert (packed.packed == 4).all()  # one call ran the 4 points as the copies of one network
    assert "packed" not in alone.columns
    for a, b in zip(packed.itertuples(), alone.itertuples()):
        assert (a.we, a.wi, a.seed) == (b.we, b.wi, b.seed)
        assert a.rate == b.rate and a.cv == b.cv, (a, b)  # every value equal, not close
    assert packed.rate.nunique() == 4 and (packed.rate > 0).all() and np.isfinite(packed.cv).all()
    assert (tmp_path / "packed.png").stat().st_size > 5000


def test_sweep_dc_quick_search(client, tmp_path):
    import sweep_dc

    import snngen
    from snngen.sweep import fresh_names

    table = sweep_dc.main(["--quick", "--no-progress", "--out", str(tmp_path / "dc.png")], client=client)
    assert len(table) == 3 * 3 * 2 and table.error.isna().all()
    for column in ("accuracy", "proportion", "silent", "labelled"):
        values = table[column].to_numpy(dtype=float)
        assert ((0 <= values) & (values <= 1)).all(), (column, values)
    assert (table.accuracy > 0.15).all() and table.accuracy.max() > 0.5  # chance: 0.1
    assert table.accuracy.nunique() > 3  # the points differ
    # a point of the sweep is the training function's own result at that point and seed
    row = table[(table.theta_plus == 0.5) & (table.nu == 0.01) & (table.seed == 1)].iloc[0]
    point = {k: row[k] for k in ("theta_plus", "nu", "n_neurons", "n_train", "n_test", "image_ms", "data")}
    fresh_names()
    snngen.seed(1)
    direct = sweep_dc.train_dc(**point, seed=1)
    for key, value in direct.items():
        if key != "train_seconds":
            assert row[key] == value, (key, row[key], value)
    assert (tmp_path / "dc.png").stat().st_size > 5000
