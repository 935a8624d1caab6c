"""The README's first command, typed as a newcomer types it, in a clean clone of the repository.

``scripts/run.sh`` installs everything (``scripts/setup.sh``: Debian packages when missing, a
fresh ``.venv``) and opens the app on the bundled sample county. ``GIS_APP_EXIT_AFTER_PAINT=1``
makes the app quit once the map is painted, after printing what it opened. It takes minutes
(a new venv; pip's cache in HOME is used, so HOME is left alone).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 15 * 60


def _newcomer_env(data: Path) -> dict:
    """This environment without the test run's venv, plus what the test needs."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME") and not k.startswith("PYTEST_")}
    venv_bin = str(ROOT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and p != venv_bin)
    env.update(GIS_APP_EXIT_AFTER_PAINT="1", QT_QPA_PLATFORM="offscreen",
               GIS_APP_DATA=str(data))
    return env


@pytest.mark.skipif(not (ROOT / ".git").exists() or shutil.which("git") is None,
                    reason="needs the git repository")
def test_run_sh_in_a_clean_clone_opens_the_sample_county(tmp_path):
    clone, data = tmp_path / "clone", tmp_path / "data"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=300)

    # As the README says: from the repository folder, `scripts/run.sh`.
    process = subprocess.Popen(["scripts/run.sh"], cwd=clone, env=_newcomer_env(data),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # setup.sh's pip as well as the app
        out, err = process.communicate()
        pytest.fail(f"scripts/run.sh still running after {TIMEOUT_S} s\n{out}\n{err}")
    pip_log = clone / ".venv" / "pip.log"
    details = f"stdout:\n{out}\nstderr:\n{err[-3000:]}" + (
        f"\npip.log:\n{pip_log.read_text()[-3000:]}" if pip_log.exists() else "")

    assert process.returncode == 0, details
    assert (clone / ".venv" / "bin" / "gis-app").exists(), details
    assert (data / "sample-county.gmp").is_file(), details
    opened = [line for line in out.splitlines() if line.startswith("opened: ")]
    assert opened and "sample-county.gmp" in opened[0], details  # the title names the file
    shutil.rmtree(clone, ignore_errors=True)  # a whole venv: keep only a failed run's
