"""No network at run time: a notebook executes with the network really switched off."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "10_challenge_images.ipynb"


def _can_unshare():
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    return probe.returncode == 0


def test_guard_blocks_outside_connections(tmp_path):
    log = tmp_path / "net.log"
    env = dict(os.environ, GAN_LESSON_NETWORK_LOG=str(log),
               PYTHONPATH=os.pathsep.join([str(ROOT / "tests" / "offline"), os.environ.get("PYTHONPATH", "")]))
    code = ("import socket\ntry:\n    socket.create_connection(('203.0.113.7', 80), timeout=1)\n"
            "except OSError as e:\n    print('blocked' if 'blocked' in str(e) else 'other')\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "blocked"
    assert "203.0.113.7" in log.read_text()
    log.unlink()


@pytest.mark.slow
@pytest.mark.skipif(not NOTEBOOK.exists(), reason="the images notebook is not there")
@pytest.mark.skipif(not _can_unshare(), reason="this machine cannot make a network namespace (unshare -rn)")
def test_images_notebook_runs_with_the_network_off(tmp_path):
    # a new network namespace holds only a loopback interface: nothing outside is reachable
    out_nb = tmp_path / "executed.ipynb"
    cmd = (f"ip link set lo up 2>/dev/null || true; cd {NOTEBOOK.parent} && "
           f"{sys.executable} -m jupyter nbconvert --to notebook --execute "
           f"--ExecutePreprocessor.timeout=600 --output {out_nb} {NOTEBOOK.name}")
    run = subprocess.run(["unshare", "-rn", "sh", "-c", cmd], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert out_nb.exists()
