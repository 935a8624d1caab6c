"""Built hazard-exposure indexes kept on disk between sessions, keyed by their digest.

Building the index of a county's hazards (a GEOS buffer a zone and a raster) takes longer
than locating every household in it; the hazards change once a survey, the households daily.
The arrays of a built index (:meth:`~gis_app.analysis.exposure.ExposureIndex.to_arrays`) are
written to the user's cache folder (``…/gis-app/exposure``, beside the table snapshots) under
the digest of everything the index is built from, so that the next session, the command line
or another window on the same hazards reads them instead of building them again.

Only a cache: a file is written whole to a temporary name and renamed (a crash leaves no half
file under a digest), a file that cannot be read is deleted and the index built again, a
folder that cannot be written is left alone, and only the newest :data:`KEPT` files stay.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from gis_app.storage.snapshot import cache_dir

log = logging.getLogger(__name__)

#: Files kept (a planner compares a few buffers on a few projects; each is a few MB).
KEPT = 12


class KeptIndexes:
    """The folder of kept indexes (by default the cache folder's ``exposure``)."""

    def __init__(self, folder: Path | None = None, kept: int = KEPT):
        self.folder = Path(folder) if folder is not None else cache_dir() / "exposure"
        self.kept = kept

    def path(self, key: bytes) -> Path:
        """The file of the index with digest ``key``."""
        return self.folder / f"{key.hex()}.npz"

    def load(self, key: bytes) -> dict[str, np.ndarray] | None:
        """The arrays kept under ``key``; None when there are none or they cannot be read."""
        path = self.path(key)
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:  # unreadable folder: nothing to drop either
            log.warning("kept exposure index %s unreadable (%s)", path.name, error)
            return None
        except Exception as error:  # noqa: BLE001 - whatever a damaged file raises
            log.warning("kept exposure index %s damaged (%s): built again", path.name, error)
            _drop(path)
            return None
        if arrays.pop("key", np.empty(0, np.uint8)).tobytes() != key:
            _drop(path)
            return None
        try:
            os.utime(path)  # the newest used are the last pruned
        except OSError:
            pass
        return arrays

    def save(self, key: bytes, arrays: dict[str, np.ndarray]) -> None:
        """Keep ``arrays`` under ``key``; quietly nothing when the folder cannot be written."""
        temporary = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(handle, "wb") as file:
                np.savez(file, key=np.frombuffer(key, dtype=np.uint8), **arrays)
            os.replace(temporary, self.path(key))
            temporary = None
            self._prune()
        except OSError as error:
            log.warning("exposure index not kept (%s)", error)
        finally:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)

    def _prune(self) -> None:
        files = sorted(self.folder.glob("*.npz"), key=lambda p: p.stat().st_mtime,
                       reverse=True)
        for old in files[self.kept:]:
            _drop(old)


def _drop(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass
