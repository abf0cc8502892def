"""Recorded runs that take too long to repeat in class.

``classic_runs()`` returns full-length runs of the classic recipe (5001 epochs, several
minutes each on one CPU thread) on N(4, 1.25²), one per seed, recorded by
``benchmarks/record_classic.py``. Each is a dict with ``seed``, ``history`` (a ``History``
recorded every 25 epochs), ``snapshots`` (a list of ``(epoch, tensor (500, 1))`` every 500
epochs), ``distance`` (final Wasserstein-1 from 50 000 generated to 50 000 real samples),
``seconds`` (CPU time of the run) and ``final`` (the generated sample's mean, std, skew and
kurtosis at the end).
"""
import json
from pathlib import Path

import torch

from .results import History

__all__ = ["classic_runs", "RECORDS"]

RECORDS = Path(__file__).resolve().parent / "records"


def classic_runs():
    """The recorded full-length classic runs (see the module docstring)."""
    path = RECORDS / "classic_runs.json"
    if not path.exists():
        raise FileNotFoundError("the recorded classic runs are missing from the package "
                                "(records/classic_runs.json); run benchmarks/record_classic.py to make them.")
    runs = json.loads(path.read_text(encoding="utf-8"))["runs"]
    nan = float("nan")
    return [dict(run, history=History.from_dict({k: [nan if v is None else v for v in vals]
                                                 for k, vals in run["history"].items()}),
                 snapshots=[(e, torch.tensor(s).unsqueeze(1)) for e, s in run["snapshots"]])
            for run in runs]
