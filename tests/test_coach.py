"""The coach's diagnoses, on recorded runs of every dashboard preset and on hand-made histories."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_lesson.training.coach import KINDS, Diagnosis, diagnose
from gan_lesson.training.recipes import PRESETS
from gan_lesson.training import History

RUNS = json.loads((Path(__file__).parent / "data" / "coach_histories.json").read_text())["runs"]


def as_history(d):
    return History.from_dict({k: [math.nan if v is None else v for v in vals] for k, vals in d.items()})


@pytest.mark.parametrize("run", RUNS, ids=lambda r: f"{r['preset']} / seed {r['seed']}")
def test_every_preset_gets_its_own_diagnosis(run):
    d = diagnose(as_history(run["history"]), reference=torch.tensor(run["reference"]),
                 samples=torch.tensor(run["samples"]), loss=run["loss"], status=run["status"])
    expected = run["expect"]
    if expected in ("converged", "learning"):          # healthy runs must not be flagged
        assert d.healthy, d.sentence
    else:
        assert d.kind == expected, d.sentence
        assert not d.healthy


def test_the_recordings_cover_every_preset_that_expects_a_diagnosis():
    recorded = {r["preset"] for r in RUNS}
    assert recorded == {name for name, p in PRESETS.items() if "expect" in p}
    failures = {r["expect"] for r in RUNS} - {"converged", "learning"}
    assert failures == {"d_winning", "g_exploits", "collapsed", "oscillating"}


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, p in PRESETS.items() if "expect" in p])
def test_every_preset_trained_live_gets_its_own_diagnosis(name):
    """The recordings can go stale when the package changes: train each preset now, on a seed
    the recordings do not hold, through the dashboard, and read what its coach says."""
    from gan_lesson.views.widgets import Dashboard
    dash = Dashboard(background=False, preset=name)
    dash.seed.value = 2
    dash.train(blocking=True)
    expected = PRESETS[name]["expect"]
    if expected in ("converged", "learning"):
        assert dash.diagnosis.healthy, dash.diagnosis.sentence
    else:
        assert dash.diagnosis.kind == expected, dash.diagnosis.sentence


def history(n=10, **columns):
    base = {"epoch": list(range(0, 20 * n, 20)), "loss_d": [1.38] * n, "loss_g": [0.69] * n,
            "d_real": [0.5] * n, "d_fake": [0.5] * n, "grad_g": [0.2] * n,
            "distance": list(np.linspace(1.0, 0.05, n)), "spread": [1.0] * n}
    base.update(columns)
    return History.from_dict(base)


REF = torch.randn(2000, 1, generator=torch.Generator().manual_seed(0))   # std ≈ 1


def test_warming_up_and_diverged():
    assert diagnose(history(2), reference=REF).kind == "warming_up"
    assert diagnose(history(), reference=REF, status="diverged").kind == "diverged"


def test_converged_and_learning_are_healthy():
    done = list(np.linspace(1.0, 0.05, 7)) + [0.05] * 3
    assert diagnose(history(distance=done), reference=REF).kind == "converged"
    learning = diagnose(history(distance=list(np.linspace(2.0, 0.5, 10))), reference=REF)
    assert learning.kind == "learning" and learning.healthy


def test_d_winning_with_minimax_says_gradients_vanished():
    d = diagnose(history(d_real=[0.99] * 10, d_fake=[0.01] * 10, distance=[3.0] * 10), reference=REF,
                 loss="minimax")
    assert d.kind == "d_winning" and "vanished" in d.sentence and "non-saturating" in d.sentence


def test_collapsed_spread():
    d = diagnose(history(spread=[0.05] * 10, distance=[2.0] * 10), reference=REF)
    assert d.kind == "collapsed" and "collapsed" in d.sentence


def test_oscillating_distance():
    d = diagnose(history(distance=[0.5, 1.5] * 5), reference=REF)
    assert d.kind == "oscillating"


def test_g_exploits_a_fooled_d():
    d = diagnose(history(distance=[1.0] * 10), reference=REF)
    assert d.kind == "g_exploits" and "cannot see" in d.sentence


def test_stalled_without_bce():
    d = diagnose(history(distance=[1.0] * 10), reference=REF, loss="least_squares")
    assert d.kind == "stalled"


def test_kinds_are_listed():
    assert set(KINDS) >= {"d_winning", "collapsed", "oscillating", "converged", "g_exploits"}


def test_the_coach_words_its_sentence_for_the_dashboard():
    good = Diagnosis("learning", "Learning: closer <fast>.").html()
    bad = Diagnosis("collapsed", "Collapsed.").html()
    assert good == "<span style='color:#1a7f37; font-size:14px'><b>Coach:</b> Learning: closer &lt;fast&gt;.</span>"
    assert "#b35900" in bad and "<b>Coach:</b> Collapsed." in bad


def test_every_preset_expects_a_kind_the_coach_knows():
    assert {p["expect"] for p in PRESETS.values() if "expect" in p} <= set(KINDS)
