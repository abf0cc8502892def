import os

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")
torch.set_num_threads(1)


@pytest.fixture
def gaussian():
    from gan_lesson.samplers import Gaussian
    return Gaussian(4.0, 1.25)
