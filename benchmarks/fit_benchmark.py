"""Benchmark of ``gan_lesson.fit``: the classic and the modern recipe on N(4, 1.25²), then the
modern recipe on other targets.

    python benchmarks/fit_benchmark.py                  # 8 modern seeds, 3 full classic runs (~15 min)
    python benchmarks/fit_benchmark.py --classic-seeds 0   # modern only (~1 min)
    python benchmarks/fit_benchmark.py --quick          # a smoke run: fewer seeds, short classic runs

Per recipe it prints the median wall time of one ``fit`` on one thread and the median and
90th-percentile Wasserstein-1 distance between 50 000 generated and 50 000 fresh real samples,
then the ratios of the two recipes. Distances are in the target's units and, after the slash,
relative to its standard deviation (for 2-D targets: sliced W1 over 64 directions, relative to
the mean projected standard deviation). The floor of the measurement itself (two real samples
of 50 000) is printed too.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import gan_lesson as gl  # noqa: E402
from gan_lesson import samplers  # noqa: E402
from gan_lesson.maths.metrics import sliced_wasserstein, wasserstein_1d  # noqa: E402

N_EVAL = 50_000


def relative_distance(fake, real):
    """(distance in data units, distance / std of the target)."""
    fake, real = fake.numpy().astype(float), real.numpy().astype(float)
    if real.shape[1] == 1:
        d = wasserstein_1d(fake, real)
        return d, d / real.std()
    d = sliced_wasserstein(fake, real, projections=64, seed=0)
    dirs = np.random.default_rng(0).normal(size=(64, real.shape[1]))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    return d, d / np.mean((real @ dirs.T).std(0))


def run(target, recipe, seeds, **overrides):
    times, dists, rels = [], [], []
    for seed in seeds:
        start = time.perf_counter()
        result = gl.fit(target, recipe=recipe, seed=seed, progress=False, threads=1, **overrides)
        times.append(time.perf_counter() - start)
        g = torch.Generator().manual_seed(10_000 + seed)
        d, r = relative_distance(result.sample(N_EVAL, seed=seed), target(N_EVAL, generator=g))
        dists.append(d)
        rels.append(r)
        print(f"    {recipe:<8} seed {seed:>2}: {times[-1]:6.2f} s  W1 {d:.4f}  (/σ {r:.4f})  {result.status}",
              flush=True)
    return {"time": statistics.median(times), "w1": statistics.median(dists),
            "w1_p90": float(np.percentile(dists, 90)), "rel": statistics.median(rels),
            "rel_p90": float(np.percentile(rels, 90))}


def line(name, s):
    return (f"{name:<26} median {s['time']:7.2f} s | W1 median {s['w1']:.4f} (/σ {s['rel']:.4f}) "
            f"| W1 p90 {s['w1_p90']:.4f} (/σ {s['rel_p90']:.4f})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=8, help="modern-recipe seeds per target (default 8)")
    ap.add_argument("--classic-seeds", type=int, default=3, help="full classic runs (default 3; 0 skips)")
    ap.add_argument("--classic-epochs", type=int, default=None, help="shorten the classic runs (default: full 5001)")
    ap.add_argument("--quick", action="store_true", help="3 seeds, 2 classic runs of 300 epochs")
    args = ap.parse_args()
    if args.quick:
        args.seeds, args.classic_seeds, args.classic_epochs = 3, 2, 300
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread; evaluation on {N_EVAL} generated vs {N_EVAL} real samples")

    target = samplers.Gaussian(4.0, 1.25)
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)
    floor = relative_distance(target(N_EVAL, generator=g1), target(N_EVAL, generator=g2))
    print(f"measurement floor (two real samples): W1 {floor[0]:.4f} (/σ {floor[1]:.4f})\n")

    print("N(4, 1.25²):")
    modern = run(target, "modern", range(args.seeds))
    classic = None
    if args.classic_seeds:
        extra = {"epochs": args.classic_epochs} if args.classic_epochs else {}
        classic = run(target, "classic", range(args.classic_seeds), **extra)

    print("\nOther targets, modern recipe:")
    others = {
        "N(-300, 0.05²) (shift/scale)": samplers.Gaussian(-300.0, 0.05),
        "N(0, 30²)": samplers.Gaussian(0.0, 30.0),
        "Gamma(2) (skewed)": samplers.Gamma(2.0, 1.0),
        "Uniform(0, 1) (bounded)": samplers.Uniform(0.0, 1.0),
        "Mixture ±2 (bimodal)": samplers.Mixture((-2.0, 2.0), 0.5),
        "Gaussian2D (correlated)": samplers.Gaussian2D(),
    }
    other_stats = {name: run(t, "modern", range(args.seeds)) for name, t in others.items()}

    print("\n=== summary ===")
    label = "classic" + (f" ({args.classic_epochs} ep)" if args.classic_epochs else " (5001 ep)")
    print(line("modern  N(4, 1.25²)", modern))
    if classic:
        print(line(f"{label} N(4,1.25)", classic))
        print(f"ratio classic / modern: time {classic['time'] / modern['time']:.1f}×, "
              f"median W1 {classic['w1'] / modern['w1']:.1f}×, p90 W1 {classic['w1_p90'] / modern['w1_p90']:.1f}×")
    for name, s in other_stats.items():
        print(line("modern  " + name, s))
    ok = modern["w1"] <= 0.06 and modern["time"] <= 3.0 and modern["w1_p90"] <= 0.15
    print(f"targets (median W1 <= 0.06, p90 <= 0.15, <= 3 s): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
