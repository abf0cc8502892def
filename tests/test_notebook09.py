"""Notebook 10 trains the student's own code: the networks from make_generator and
make_discriminator and the step from train_step go through images.train, so a wrong step shows in
the trained result; the reference reaches the open challenge's target; the own-folder cells run."""
import json
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gan_lesson import data, images, plots
from gan_lesson.checks.images import TARGET, check_digit_result
from notebook_cells import NOTEBOOKS, PRELUDE, cells, solution_namespace

NOTEBOOK = "10_challenge_images.ipynb"


def _code_cell(containing):
    """The source of the one code cell of the notebook holding ``containing``."""
    nb = json.loads((NOTEBOOKS / NOTEBOOK).read_text(encoding="utf-8"))
    found = [cell for cell in nb["cells"] if cell["cell_type"] == "code" and containing in "".join(cell["source"])]
    assert len(found) == 1, f"{len(found)} code cells hold {containing!r}"
    return found[0]


def _source(containing):
    return "".join(_code_cell(containing)["source"])


@pytest.fixture(scope="module")
def solutions():
    return solution_namespace(NOTEBOOK)


def _pair(solutions):
    """The notebook's fresh pair: the student's functions, DCGAN's starting weights."""
    G = images.init_weights(solutions["make_generator"](16), torch.Generator().manual_seed(0))
    D = images.init_weights(solutions["make_discriminator"](), torch.Generator().manual_seed(1))
    return G, D


def _flat(module):
    return torch.cat([p.detach().reshape(-1) for p in module.parameters()])


def _broken(solutions, old, new):
    """The solution's train_step with one line changed (the change must apply)."""
    source = next(src for src in cells(NOTEBOOK, "solution") if "def train_step" in src)
    assert old in source, old
    ns = {}
    exec(PRELUDE, ns)
    exec(source.replace(old, new), ns)
    return ns["train_step"]


@pytest.mark.slow
def test_the_students_own_modules_are_trained_and_sampled(solutions):
    G, D = _pair(solutions)
    g0, d0 = _flat(G).clone(), _flat(D).clone()
    run = images.train(G, D, train_step=solutions["train_step"], epochs=3, seed=0, progress=False)
    assert run.G is G and run.D is D and run.status == "finished"
    assert float((_flat(G) - g0).abs().max()) > 1e-2 and float((_flat(D) - d0).abs().max()) > 1e-2
    z = torch.randn(8, 16, generator=torch.Generator().manual_seed(4))
    assert torch.equal(run.sample(8, seed=4), images.generate(G, noise=z))
    assert run.history["score"][-1] > 4                              # fog scores about 1


@pytest.mark.slow
def test_the_library_step_is_the_solution_step(solutions):
    """Without a train_step the loop calls steps.d_step then steps.g_step: the same run, to the last bit."""
    G, D = _pair(solutions)
    own = images.train(G, D, train_step=solutions["train_step"], epochs=2, seed=0, progress=False)
    G2, D2 = _pair(solutions)
    library = images.train(G2, D2, epochs=2, seed=0, progress=False)
    assert own.history == library.history | {"seconds": own.history["seconds"]}
    assert torch.equal(_flat(G), _flat(G2)) and torch.equal(_flat(D), _flat(D2))


@pytest.mark.slow
@pytest.mark.parametrize("old, new, what", [
    ("    d_opt.step()                                            #    D only", "", "D never stepped"),
    ("    d_out = D(fake)", "    d_out = D(fake.detach())", "G's loss detached from G"),
], ids=["no d_opt.step", "G's loss detached"])
def test_a_broken_step_shows_in_the_trained_result(solutions, old, new, what):
    G, D = _pair(solutions)
    good = images.train(G, D, train_step=solutions["train_step"], epochs=5, seed=0, progress=False)
    G, D = _pair(solutions)
    g0, d0 = _flat(G).clone(), _flat(D).clone()
    bad = images.train(G, D, train_step=_broken(solutions, old, new), epochs=5, seed=0, progress=False)
    assert bad.score().inception < good.score().inception - 2, what
    if what == "D never stepped":
        assert torch.equal(_flat(D), d0)                              # D's weights never changed
    else:
        assert torch.equal(_flat(G), g0) and bad.score().inception < 1.5   # G never moved: fog


@pytest.mark.slow
def test_the_notebook_training_cell_reaches_the_target(solutions, capsys):
    ns = dict(solutions, images=images, noise_dim=16)
    ns["fixed_z"] = torch.randn(64, 16, generator=torch.Generator().manual_seed(1))
    exec(_source("run = images.train("), ns)
    run = ns["run"]
    assert run.epochs == 40 and run.G is ns["G"]
    assert run.score().inception >= TARGET
    assert "run.G is your G: True | fixed noise is fixed_z: True" in capsys.readouterr().out
    assert check_digit_result(run)
    assert capsys.readouterr().out.startswith("✓ the open challenge")


def test_the_notebook_quotes_its_own_run():
    """The score printed under the stored training cell reaches the target, and it is the 40-epoch
    score the notebook's table of longer runs quotes."""
    out = "".join("".join(o.get("text", "")) for o in _code_cell("run = images.train(")["outputs"])
    printed = re.search(r"ImageResult\(finished: 40 epochs in [\d.]+ s, score (\d\.\d\d)\)", out)
    assert printed, out[-500:]
    assert float(printed.group(1)) >= TARGET
    nb = json.loads((NOTEBOOKS / NOTEBOOK).read_text(encoding="utf-8"))
    table = next("".join(c["source"]) for c in nb["cells"] if "**Longer runs**" in "".join(c["source"]))
    assert f"| score | {printed.group(1)} |" in table


def test_the_notebook_quotes_its_nearest_neighbour_check():
    """The memorisation check's text quotes the distances printed under it, and says "no copying"
    only when no generated digit is nearer the data than the closest pair of real digits."""
    out = "".join("".join(o.get("text", "")) for o in _code_cell("near_fake = images.nearest_training(")["outputs"])
    rows = {line.split(" (")[0]: re.findall(r"\d+\.\d\d", line) for line in out.splitlines()}
    assert len(rows.get("generated", ())) == 3 and len(rows.get("real, left out in turn", ())) == 3, out
    (g_min, _, g_median), (r_min, _, r_median) = rows["generated"], rows["real, left out in turn"]
    assert re.search(r"closest real pair \([\d.]+\): 0 of 1000", out), out
    nb = json.loads((NOTEBOOKS / NOTEBOOK).read_text(encoding="utf-8"))
    text = next("".join(c["source"]) for c in nb["cells"] if "No copying." in "".join(c["source"]))
    assert f"median {g_median} against {r_median}" in text.replace("\n", " ")
    assert f"is {g_min}" in text.replace("\n", " ") and f"as close as {r_min}" in text.replace("\n", " ")
    assert float(g_median) > float(r_median)                            # further from the data than real digits


@pytest.mark.slow
def test_the_own_folder_cells_run_on_a_folder_of_pictures(solutions, tmp_path, monkeypatch):
    from PIL import Image
    folder = tmp_path / "my_pictures"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for k in range(12):                          # twelve small pictures: a light square on a dark ground
        pixels = np.zeros((12, 12), np.uint8)
        top, left = rng.integers(0, 6, size=2)
        pixels[top:top + 6, left:left + 6] = 255
        Image.fromarray(pixels).save(folder / f"square_{k:02d}.png")
    monkeypatch.chdir(tmp_path)
    ns = dict(solutions, data=data, images=images, plt=plt, plots=plots, np=np, torch=torch, digits=None)
    exec("import tempfile\nfrom pathlib import Path\nfrom PIL import Image", ns)
    exec(_source('folder = Path("my_pictures")'), ns)
    assert ns["folder"].name == "my_pictures" and ns["pictures"].shape == (12, 1, 16, 16)
    exec(_source("own = images.train("), ns)
    own = ns["own"]
    assert own.status == "finished" and own.G is ns["G_own"] and own.sample(4).shape == (4, 1, 16, 16)
    plt.close("all")
