import os
import tempfile
from pathlib import Path

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")
torch.set_num_threads(1)


@pytest.fixture
def gaussian():
    from gan_lesson.maths.samplers import Gaussian
    return Gaussian(4.0, 1.25)


# Every process the tests start (the notebooks' kernels included) refuses connections that leave
# the machine and logs them here; the run fails if anything was logged.
OFFLINE = Path(__file__).resolve().parent / "offline"
NETWORK_LOG = Path(tempfile.gettempdir()) / f"gan-lesson-network-{os.getpid()}.log"


def pytest_configure(config):
    log = os.environ.setdefault("GAN_LESSON_NETWORK_LOG", str(NETWORK_LOG))
    Path(log).unlink(missing_ok=True)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(OFFLINE), os.environ.get("PYTHONPATH")) if p)


def pytest_sessionfinish(session, exitstatus):
    log = Path(os.environ.get("GAN_LESSON_NETWORK_LOG", NETWORK_LOG))
    if log.exists() and log.read_text().strip():
        attempts = log.read_text().strip().splitlines()
        print(f"\nnetwork access attempted during the tests ({len(attempts)}):\n  " + "\n  ".join(attempts[:20]))
        session.exitstatus = 1
