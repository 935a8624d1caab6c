"""Exposure indexes kept in the cache folder: written whole, read back, damaged files dropped."""

from __future__ import annotations

import os

import numpy as np

from gis_app.storage.index_files import KeptIndexes


def _arrays(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"codes": rng.integers(0, 255, 1000).astype(np.uint8),
            "layout": rng.random(5), "cand": rng.integers(0, 9, 40).astype(np.int32)}


def test_arrays_kept_are_read_back_exactly(tmp_path):
    keeper = KeptIndexes(tmp_path / "exposure")
    key = bytes(range(32))
    assert keeper.load(key) is None  # nothing kept yet (the folder does not even exist)
    keeper.save(key, _arrays(1))
    back = keeper.load(key)
    assert back.keys() == _arrays(1).keys()
    for name, array in _arrays(1).items():
        assert back[name].dtype == array.dtype and np.array_equal(back[name], array)
    assert [p.name for p in (tmp_path / "exposure").iterdir()] == [f"{key.hex()}.npz"]


def test_a_damaged_or_misnamed_file_is_dropped_not_used(tmp_path):
    keeper = KeptIndexes(tmp_path)
    key, other = b"\x01" * 32, b"\x02" * 32
    keeper.save(key, _arrays(2))
    keeper.path(key).write_bytes(keeper.path(key).read_bytes()[:200])  # cut short by a crash
    assert keeper.load(key) is None and not keeper.path(key).exists()
    keeper.save(key, _arrays(2))
    os.replace(keeper.path(key), keeper.path(other))  # another digest's name
    assert keeper.load(other) is None and not keeper.path(other).exists()
    keeper.path(key).write_text("不是索引文件", encoding="utf-8")
    assert keeper.load(key) is None


def test_only_the_newest_files_are_kept(tmp_path):
    keeper = KeptIndexes(tmp_path, kept=3)
    keys = [bytes([i]) * 32 for i in range(5)]
    for age, key in enumerate(keys):
        keeper.save(key, _arrays(age))
        os.utime(keeper.path(key), (1_000_000 + age, 1_000_000 + age))
    keeper.load(keys[2])  # read now: the newest
    keeper.save(b"\x09" * 32, _arrays(9))
    left = {p.name for p in tmp_path.glob("*.npz")}
    assert left == {f"{k.hex()}.npz" for k in (keys[2], keys[4], b"\x09" * 32)}
    assert not list(tmp_path.glob("*.part"))


def test_a_folder_that_cannot_be_written_is_left_alone(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    keeper = KeptIndexes(blocker / "exposure")  # a file where the folder should be
    keeper.save(b"\x03" * 32, _arrays(3))  # no exception: it is only a cache
    assert keeper.load(b"\x03" * 32) is None
