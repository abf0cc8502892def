"""Record the runs the coach's tests read: every dashboard preset that names what the coach
should say, at two seeds. Writes tests/data/coach_histories.json (a few minutes).

    python tests/data/make_coach_histories.py
"""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import gan_lesson as gl  # noqa: E402
from gan_lesson.views.widgets import PRESETS, TARGETS, Dashboard  # noqa: E402

OUT = Path(__file__).resolve().parent / "coach_histories.json"


def rounded(x, digits=4):
    return [[round(float(v), digits) for v in row] for row in np.asarray(x).reshape(len(x), -1)]


def main():
    runs = []
    for name, preset in PRESETS.items():
        if "expect" not in preset:
            continue
        for seed in (0, 1):
            dash = Dashboard(background=False, preset=name)
            dash.seed.value = seed
            target = TARGETS[dash.target.value]()
            result = gl.fit(target, progress=False, **dash.settings())
            hist = {k: [None if not np.isfinite(v) else round(float(v), 6) for v in vals]
                    for k, vals in result.history.as_dict().items()}
            runs.append({"preset": name, "seed": seed, "expect": preset["expect"], "loss": result.recipe.loss,
                         "status": result.status, "history": hist,
                         "samples": rounded(result.snapshots[-1][1][:400]),
                         "reference": rounded(result.reference[:400])})
            print(f"{name} seed {seed}: {result.status}, distance {result.history.distance[-1]:.3f}", flush=True)
    OUT.write_text(json.dumps({"runs": runs}) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
