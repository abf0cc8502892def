"""Benchmark of the batched trainer: GANs per second, batched against one by one.

    python benchmarks/many_benchmark.py                 # 64 seeds, batches of 64 (notebook 06's) and 128, 400 epochs
    python benchmarks/many_benchmark.py --seeds 16 --batch-size 512 --threads 1 2
    python benchmarks/many_benchmark.py --profile       # where the stacked step spends its time, per operation

The same modern recipe (with the given batch size and epochs) is trained for every seed, first
one by one with ``gan_lesson.fit`` (one thread, its fastest setting for a single small GAN),
then all at once with ``gan_lesson.training.many.fit_many``. The two alternate ``--repeats`` times, so
that both see the same load on a shared machine; the medians are printed, as wall seconds and as
CPU seconds of this process (less sensitive to other processes), with GANs trained per second
and the speed-up per GAN. The median distance to the target of both (the same quantity: the
last history record, W1 between 2000 generated and 2000 real samples, over the target's std)
shows that the comparison is between runs that learn equally well.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import gan_lesson as gl  # noqa: E402
from gan_lesson.training.many import fit_many  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=64)
    ap.add_argument("--batch-size", type=int, nargs="+", default=[64, 128],
                    help="one or more batch sizes (default: 64, as in notebook 06, and 128)")
    ap.add_argument("--epochs", type=int, default=400)
    ap.add_argument("--one-by-one", type=int, default=4,
                    help="how many seeds to time one by one in each repeat (the per-GAN time is their median)")
    ap.add_argument("--repeats", type=int, default=3, help="alternations of the two trainers (medians printed)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1], help="PyTorch threads for the batched run")
    ap.add_argument("--profile", action="store_true", help="print where the stacked step spends its time, and stop")
    args = ap.parse_args()
    target = gl.samplers.Gaussian(4.0, 1.25)
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs; load average before: "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for batch_size in args.batch_size:
        if args.profile:
            profile(target, args, batch_size)
        else:
            compare(target, args, batch_size)
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def timed(run):
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def compare(target, args, batch_size):
    recipe = gl.RECIPES["modern"].replace(batch_size=batch_size, epochs=args.epochs)
    print(f"\nmodern recipe, batch {batch_size}, {args.epochs} epochs, {args.seeds} seeds")
    single_wall, single_cpu, single_dist = [], [], []
    many = {threads: ([], [], None) for threads in args.threads}
    for repeat in range(args.repeats):
        walls, cpus = [], []
        for seed in range(repeat * args.one_by_one, (repeat + 1) * args.one_by_one):
            r, wall, cpu = timed(lambda: gl.fit(target, recipe=recipe, seed=seed, progress=False, threads=1))
            walls.append(wall)
            cpus.append(cpu)
            single_dist.append(r.history.distance[-1] / float(r.reference.std()))
        single_wall.append(statistics.median(walls))
        single_cpu.append(statistics.median(cpus))
        for threads in args.threads:
            result, wall, cpu = timed(lambda: fit_many(target, seeds=range(args.seeds), recipe=recipe,
                                                       threads=threads, progress=False))
            many[threads][0].append(wall)
            many[threads][1].append(cpu)
            many[threads] = (many[threads][0], many[threads][1], result)
    wall, cpu = statistics.median(single_wall), statistics.median(single_cpu)
    print(f"one by one (fit, 1 thread):  {wall:.2f} s per GAN ({cpu:.2f} s CPU) → {1 / wall:.2f} GANs/s; "
          f"median distance {np.median(single_dist):.3f} σ ({len(single_dist)} seeds)")
    for threads, (walls, cpus, result) in many.items():
        many_wall, many_cpu = statistics.median(walls), statistics.median(cpus)
        print(f"batched ({args.seeds} at once, {threads} thread{'s' if threads > 1 else ''}): {many_wall:.2f} s "
              f"({many_cpu:.2f} s CPU) → {args.seeds / many_wall:.1f} GANs/s, "
              f"{wall / (many_wall / args.seeds):.1f}× faster per GAN "
              f"({cpu / (many_cpu / args.seeds):.1f}× in CPU time); "
              f"median distance {np.median(result.relative):.3f} σ")


def profile(target, args, batch_size):
    """The stacked step's operations, by the time they take (torch.profiler), for a short run."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as profiler
    recipe = gl.RECIPES["modern"].replace(batch_size=batch_size, epochs=50, log_every=1000)
    fit_many(target, seeds=range(args.seeds), recipe=recipe, progress=False)          # warm up
    with torch_threads(1), profiler(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        fit_many(target, seeds=range(args.seeds), recipe=recipe, progress=False)
    print(f"\nbatch {batch_size}, {args.seeds} GANs, 50 epochs: operations by self CPU time (ms per epoch)")
    rows = sorted(prof.key_averages(group_by_input_shape=True), key=lambda e: -e.self_cpu_time_total)[:25]
    for e in rows:
        print(f"{e.self_cpu_time_total / 50e3:7.3f}  {e.count // 50:3d}×  {e.key:35s} {str(e.input_shapes)[:70]}")


def torch_threads(n):
    return gl.training.torch_threads(n)


if __name__ == "__main__":
    main()
