"""Record full-length runs of the classic recipe for the lessons (gan_lesson/records/classic_runs.json).

    python benchmarks/record_classic.py --seeds 6      # about 5 minutes a seed on one thread

The notebooks cannot afford a several-minute run each time they execute; they show these
recordings and run a short stretch live.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import gan_lesson as gl  # noqa: E402
from gan_lesson.maths.metrics import moments, wasserstein_1d  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "gan_lesson" / "records" / "classic_runs.json"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=6)
    args = ap.parse_args()
    target = gl.samplers.Gaussian(4.0, 1.25)
    runs = []
    for seed in range(args.seeds):
        cpu = time.process_time()
        r = gl.fit(target, recipe="classic", seed=seed, progress=False, report_every=0)
        cpu = time.process_time() - cpu
        fake = r.sample(50_000, seed=seed)
        real = target(50_000, generator=torch.Generator().manual_seed(1000 + seed))
        d = wasserstein_1d(fake, real)
        hist = {k: [round(v, 5) if v == v else None for v in vals] for k, vals in r.history.as_dict().items()}
        snaps = [(e, [round(float(x), 3) for x in s[:500, 0]]) for e, s in r.snapshots if e % 500 == 0 or e == 5001]
        runs.append({"seed": seed, "distance": round(d, 4), "seconds": round(cpu, 1),
                     "final": {k: round(v, 3) for k, v in moments(fake).items()},
                     "history": hist, "snapshots": snaps})
        print(f"seed {seed}: W1 {d:.3f}, final {runs[-1]['final']}, {cpu:.0f} s CPU", flush=True)
        OUT.write_text(json.dumps({"recipe": "classic", "target": "Gaussian(4, 1.25)", "runs": runs}) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
