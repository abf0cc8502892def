"""The ablation of the modern recipe that notebook 05 shows: the record is complete, its two rows
that are not GANs measure what they say, and a recorded row is what the code trains."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

import gan_lesson as gl
from gan_lesson.training.recorded import RECORDS

ROOT = Path(__file__).resolve().parents[1]


def load_benchmark():
    spec = importlib.util.spec_from_file_location("ablation_benchmark", ROOT / "benchmarks" / "ablation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ablation():
    return load_benchmark()


@pytest.fixture(scope="module")
def record():
    return json.loads((RECORDS / "ablation.json").read_text(encoding="utf-8"))


def test_record_holds_every_target_and_row_for_every_seed(ablation, record):
    assert list(record["cells"]) == list(ablation.TARGETS)
    assert len(record["seeds"]) >= 3
    rows = [*ablation.VARIANTS, *ablation.BASELINES]
    for target, cells in record["cells"].items():
        assert list(cells) == rows, target
        for row, values in cells.items():
            assert len(values) == len(record["seeds"]) and all(np.isfinite(values)), (target, row)
    assert record["command"].startswith("python benchmarks/ablation.py")


def test_floor_is_small_and_a_fitted_gaussian_cannot_make_two_bumps(ablation):
    """A second real sample is close to the reference on every target; a Gaussian with one batch's
    mean and std is as close on the Gaussian target, and far from two bumps and from U(0, 1)."""
    seeds = range(3)
    medians = {}
    for name, make in ablation.TARGETS.items():
        target = make()
        reference = target(2000, generator=torch.Generator().manual_seed(0))
        floor, fitted = ablation.baselines(target, reference, seeds)
        medians[name] = np.median(floor), np.median(fitted)
        assert np.median(floor) < 0.05, (name, floor)
    assert medians["N(4, 1.25²)"][1] < 0.08
    assert medians["two bumps at ±3"][1] > 0.3
    assert medians["U(0, 1), bounded"][1] > 0.05


def test_table_has_a_row_per_variant_and_a_column_per_target(ablation, record):
    lines = ablation.table(record).splitlines()
    assert len(lines) == 2 + len(ablation.VARIANTS) + len(ablation.BASELINES)
    assert all(name in lines[0] for name in ablation.TARGETS)
    first = lines[2].split("|")
    assert first[1].strip() == "modern recipe, everything on"
    assert float(first[2]) == pytest.approx(np.median(record["cells"]["N(4, 1.25²)"]["modern recipe, everything on"]),
                                            abs=5e-4)


@pytest.mark.slow
def test_recorded_row_is_what_the_code_trains(ablation, record):
    """The Gaussian without standardising (the row notebook 05 repeats live), retrained."""
    target = ablation.TARGETS["N(4, 1.25²)"]()
    values, _ = ablation.run_variant(target, {"standardise": False}, record["seeds"])
    np.testing.assert_allclose(values, record["cells"]["N(4, 1.25²)"]["data not standardised"], atol=2e-3)
    assert np.median(values) > 0.15      # without the target's mean and std, far from the floor
