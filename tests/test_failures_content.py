"""Notebooks 06 (When training goes wrong) and 07 (Diagnosing a failing run): what the split must
keep, and the collapse that 06 shows (a small ReLU GAN on the ring piles its samples onto a few
modes)."""
import json
import re
import sys
from pathlib import Path

import pytest
import torch

from gan_lesson import metrics, samplers
from notebook_cells import NOTEBOOKS, PRELUDE, cells

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import set_source  # noqa: E402  (tools/ is not a package)

NB06, NB07 = "06_when_training_fails.ipynb", "07_diagnosing_failures.ipynb"


def notebook(name):
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def code_cells(name):
    return [source(c) for c in notebook(name) if c["cell_type"] == "code"]


def markdown(name):
    return "\n".join(source(c) for c in notebook(name) if c["cell_type"] == "markdown")


def test_both_halves_open_with_the_same_install_block():
    block06, block07 = (set_source.split(code_cells(name)[0])[0] for name in (NB06, NB07))
    assert block06 == block07 and "GAN_LESSON_SOURCE" in block06


@pytest.mark.parametrize("name", [NB06, NB07])
def test_each_half_has_a_title_an_intro_and_a_summary(name):
    cells = notebook(name)
    assert source(cells[0]).startswith(f"# {name[:2]} —")
    assert "**After this notebook you will be able to:**" in source(cells[0])
    assert "## Summary" in source(cells[-1])
    assert "**Next:" in source(cells[-1])


def test_the_diagnosis_exercise_lives_in_07():
    assert not cells(NB06, "exercise") and not cells(NB06, "solution")
    for tag in ("exercise", "solution", "solution-check"):
        found = cells(NB07, tag)
        assert len(found) == 1, tag
    assert "def diagnose_run" in cells(NB07, "solution")[0]


def test_the_signals_table_does_not_read_oscillation_from_d_fake():
    table = [line for line in markdown(NB06).splitlines() if line.startswith("|")]
    d_fake = next(line for line in table if "`d_fake`" in line)
    assert "oscillation" not in d_fake
    assert any("oscillation" in line for line in table if "`spread`" in line)
    assert any("oscillation" in line for line in table if "`distance`" in line)


def test_one_notation_for_the_target():
    for name in (NB06, NB07):
        text = markdown(name) + "\n".join(code_cells(name))
        assert not re.search(r"N\(4, 1\.25\)(?!²)", text), name


@pytest.mark.slow
def test_the_small_relu_gan_collapses_onto_a_few_sharp_modes():
    """06's train_ring, seed 0: the non-saturating run ends on at most 3 modes with 40 % or more of
    its samples within 3 std of a mode; the least-squares run puts nearly all of them on one."""
    definition = next(s for s in code_cells(NB06) if "def train_ring" in s)
    ns = {}
    exec(PRELUDE, ns)
    ns["ring"] = samplers.Ring(8, 2.0, 0.05)
    exec(compile(definition, f"<{NB06} train_ring>", "exec"), ns)
    torch.set_num_threads(1)
    ring = ns["ring"]
    outcome = {}
    for loss in ("non_saturating", "least_squares"):
        epoch, fake = ns["train_ring"](loss, seed=0)[-1]
        assert epoch == 600
        outcome[loss] = metrics.mode_coverage(fake, ring.centres, ring.std)
    assert outcome["non_saturating"]["modes"] <= 3 and outcome["non_saturating"]["high_quality"] >= 0.4, outcome
    assert outcome["least_squares"]["modes"] == 1 and outcome["least_squares"]["high_quality"] >= 0.9, outcome
