"""Benchmark of the batched trainer: GANs per second, batched against one by one.

    python benchmarks/many_benchmark.py                 # 64 seeds, batches of 64 (notebook 06's) and 128, 400 epochs
    python benchmarks/many_benchmark.py --seeds 16 --batch-size 512

The same modern recipe (with the given batch size and epochs) is trained for every seed, first
one by one with ``gan_lesson.fit`` (one thread, its fastest setting for a single small GAN),
then all at once with ``gan_lesson.batched.fit_many`` on one and on two threads. It prints
wall seconds, GANs trained per second, the speed-up per GAN, and the median distance to the
target of both, so the comparison is between runs that learn equally well.
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
from gan_lesson.batched import fit_many  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=64)
    ap.add_argument("--batch-size", type=int, nargs="+", default=[64, 128],
                    help="one or more batch sizes (default: 64, as in notebook 06, and 128)")
    ap.add_argument("--epochs", type=int, default=400)
    ap.add_argument("--one-by-one", type=int, default=8,
                    help="how many seeds to time one by one (the per-GAN time is their median)")
    args = ap.parse_args()
    target = gl.samplers.Gaussian(4.0, 1.25)
    for batch_size in args.batch_size:
        compare(target, args, batch_size)


def compare(target, args, batch_size):
    recipe = gl.RECIPES["modern"].replace(batch_size=batch_size, epochs=args.epochs)
    print(f"\nmodern recipe, batch {batch_size}, {args.epochs} epochs, {args.seeds} seeds; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads available")

    times, rel = [], []
    for seed in range(args.one_by_one):
        start = time.perf_counter()
        r = gl.fit(target, recipe=recipe, seed=seed, progress=False, threads=1)
        times.append(time.perf_counter() - start)
        rel.append(r.distance(n=2000) / 1.25)
    single = statistics.median(times)
    print(f"one by one (fit, 1 thread): {single:.2f} s per GAN → {1 / single:.2f} GANs/s; "
          f"median distance {np.median(rel):.3f} σ")

    for threads in (1, 2):
        many = fit_many(target, seeds=range(args.seeds), recipe=recipe, threads=threads, progress=False)
        per = many.seconds / args.seeds
        print(f"batched ({args.seeds} at once, {threads} thread{'s' if threads > 1 else ''}): {many.seconds:.2f} s "
              f"→ {args.seeds / many.seconds:.1f} GANs/s, {single / per:.1f}× faster per GAN; "
              f"median distance {np.median(many.relative):.3f} σ")


if __name__ == "__main__":
    main()
