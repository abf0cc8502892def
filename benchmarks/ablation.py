"""Ablation of the modern recipe: each ingredient switched off in turn, on four 1-D targets.

    python benchmarks/ablation.py                  # 5 seeds, prints the table, writes the record
    python benchmarks/ablation.py --seeds 3 --no-save

Notebook 05 shows the table from gan_lesson/training/records/ablation.json and runs a slice of
it live. Every cell is the median, over the seeds, of the distance ``fit`` records at the end of a
run (Wasserstein-1 between 2000 generated and 2000 real samples) divided by the target's
standard deviation, so the four targets share one scale. The recipes that ``fit_many`` can
stack run there (all seeds of one row at once); the row whose discriminator judges a batch's
moments runs with ``fit``, one seed at a time. Two rows are not GANs: a second real sample of
the same size (what a perfect generator would score: the floor of this measurement), and a
Gaussian with the mean and standard deviation of one batch of 512 real values.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import gan_lesson as gl  # noqa: E402
from gan_lesson.training.recorded import RECORDS  # noqa: E402

OUT = RECORDS / "ablation.json"

#: The targets (name -> sampler): the series' Gaussian, and three where knowing the mean and the
#: standard deviation is not the answer (two bumps, a skewed one, a bounded one).
TARGETS = {
    "N(4, 1.25²)": lambda: gl.samplers.Gaussian(4.0, 1.25),
    "two bumps at ±3": lambda: gl.samplers.Mixture((-3.0, 3.0), 0.3),
    "Gamma(2), skewed": lambda: gl.samplers.Gamma(2.0, 1.0),
    "U(0, 1), bounded": lambda: gl.samplers.Uniform(0.0, 1.0),
}

#: The rows: a label, then the modern recipe's settings changed for that row. The last two are not
#: ingredients switched off: they ask whether a row that misses is slow or stuck.
VARIANTS = {
    "modern recipe, everything on": {},
    "data not standardised": {"standardise": False},
    "uniform noise, not Gaussian": {"noise": "uniform"},
    "1-D noise, not 4-D": {"noise_dim": 1},
    "Adam β₁ = 0.9, not 0.5": {"betas": (0.9, 0.999)},
    "SGD + momentum 0.9, not Adam": {"optimizer": "sgd"},
    "no weight averaging (EMA)": {"ema": 0.0},
    "constant learning rates": {"lr_decay": False},
    "minimax loss, not non-saturating": {"loss": "minimax"},
    "5 D steps per G step, not 1": {"d_steps": 5},
    "D sees the batch's 4 moments": {"features": "moments"},
    "uniform noise, 3× the epochs (2400)": {"noise": "uniform", "epochs": 2400},
    "modern recipe, 3× the epochs (2400)": {"epochs": 2400},
}
#: The rows that are not GANs (measured on the same reference samples as the modern recipe's runs).
BASELINES = ("a second real sample (the floor)", "Gaussian with one batch's mean and std")


def run_variant(target, changes, seeds, progress=False):
    """The relative final distance (W1 / target std) of each seed, array ``(len(seeds),)``, and
    the real samples it was measured against."""
    recipe = gl.RECIPES["modern"].replace(**changes)
    if recipe.features == "per_sample":
        many = gl.fit_many(target, seeds=seeds, recipe=recipe, progress=progress)
        return many.relative, many.reference
    runs = [gl.fit(target, recipe=recipe, seed=s, progress=False) for s in seeds]
    return np.array([r.history.distance[-1] for r in runs]) / float(target.std), runs[0].reference


def baselines(target, reference, seeds, batch_size=512):
    """The two rows that are not GANs, one value per seed each (relative to the target's std)."""
    std, n = float(target.std), len(reference)
    floor, fitted = [], []
    for s in seeds:
        g = torch.Generator().manual_seed(50_000 + s)
        floor.append(gl.metrics.distance(target(n, generator=g), reference) / std)
        batch = target(batch_size, generator=g)
        gaussian = gl.samplers.Gaussian(float(batch.mean()), float(batch.std()), seed=60_000 + s)
        fitted.append(gl.metrics.distance(gaussian(n), reference) / std)
    return np.array(floor), np.array(fitted)


def ablation(seeds=range(5), targets=TARGETS, variants=VARIANTS, progress=True):
    """Every target under every variant: ``{"cells": {target: {row: [per-seed values]}}, ...}``."""
    seeds = list(seeds)
    cells = {}
    for t_name, make in targets.items():
        target = make()
        cells[t_name] = {}
        for v_name, changes in variants.items():
            start = time.perf_counter()
            values, measured_on = run_variant(target, changes, seeds)
            reference = measured_on if not changes else reference
            cells[t_name][v_name] = [round(float(v), 5) for v in values]
            if progress:
                print(f"{t_name:18s} {v_name:36s} median {np.median(values):.3f}  "
                      f"({time.perf_counter() - start:.1f} s)", flush=True)
        for name, values in zip(BASELINES, baselines(target, reference, seeds)):
            cells[t_name][name] = [round(float(v), 5) for v in values]
    return {"seeds": seeds, "epochs": gl.RECIPES["modern"].epochs, "cells": cells}


def table(record):
    """The medians as a Markdown table: one row per variant, one column per target."""
    cells = record["cells"]
    targets = list(cells)
    rows = [f"| W1 / target std, median of {len(record['seeds'])} seeds | " + " | ".join(targets) + " |",
            "|---|" + "---:|" * len(targets)]
    for row in cells[targets[0]]:
        rows.append(f"| {row} | " + " | ".join(f"{np.median(cells[t][row]):.3f}" for t in targets) + " |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--no-save", action="store_true", help="print the table only")
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}; load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    start, cpu = time.perf_counter(), time.process_time()
    record = ablation(range(args.seeds))
    record["seconds"] = round(time.perf_counter() - start, 1)
    record["cpu_seconds"] = round(time.process_time() - cpu, 1)
    print()
    print(table(record))
    print(f"\n{record['seconds']:.0f} s wall, {record['cpu_seconds']:.0f} s CPU; load average after: "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not args.no_save:
        record["command"] = f"python benchmarks/ablation.py --seeds {args.seeds}"
        OUT.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"written to {OUT}")


if __name__ == "__main__":
    main()
