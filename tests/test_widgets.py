"""The dashboard, driven headlessly: set sliders, click Train, inspect what a student would see."""
import dataclasses
import math

import pytest

from gan_lesson import RECIPES, plots, recipes, samplers, widgets
from gan_lesson.views.widgets import PRESETS, TARGETS, Dashboard, estimate_seconds
from timing import wait_scaled


@pytest.fixture
def dash():
    return Dashboard(background=False)


def test_controls_exist_with_recipe_defaults(dash):
    assert dash.lr_d.value == pytest.approx(RECIPES["modern"].lr_d)
    assert dash.epochs.value == RECIPES["modern"].epochs
    assert dash.settings()["recipe"].name == "modern"
    assert dash.image.value, "the target is drawn before any training"
    assert "fit(target, recipe='modern'" in dash.fit_call()


def test_sliders_reach_fit_and_figure_changes(dash):
    dash.lr_d.value = 1e-3
    dash.lr_g.value = 5e-3
    dash.epochs.value = 100
    dash.seed.value = 3
    before = dash.image.value
    dash.train_button.click()
    r = dash.result
    assert r.status == "finished" and r.epochs_done == 100
    assert r.recipe.lr_d == pytest.approx(1e-3, rel=1e-6) and r.recipe.lr_g == pytest.approx(5e-3, rel=1e-6)
    assert r.seed == 3
    assert dash.image.value != before
    assert dash.frames >= 2                       # the first frame and the final one
    assert "generated" in dash.stats.value and "mean" in dash.stats.value
    assert "finished" in dash.status.value
    assert dash.progress.value == 100 and dash.progress.bar_style == "success"
    assert not dash.train_button.disabled and dash.stop_button.disabled


def test_recipe_switch_resets_sliders_and_estimate(dash):
    dash.recipe.value = "classic"
    assert dash.lr_d.value == pytest.approx(2e-4)
    assert dash.d_steps.value == 20 and dash.g_steps.value == 20
    assert dash.features.value == "moments"
    assert "min" in dash.estimate.value           # the classic run takes minutes, and says so


def test_presets_set_everything():
    d = Dashboard(background=False, preset="classic recipe (notebook 05; slow)")
    assert d.recipe.value == "classic" and d.epochs.value == 1000
    d.preset.value = "modern recipe"
    assert d.recipe.value == "modern" and d.epochs.value == 800


def test_a_preset_without_a_target_goes_back_to_the_default_target():
    d = Dashboard(background=False, preset="failure: mode collapse (two far bumps)")
    assert d.target.value == "two far bumps (mixture at ±3)"
    d.preset.value = "failure: oscillation (learning rates too high)"
    assert d.target.value == next(iter(TARGETS))


def test_scrubber_and_overlay_after_two_runs(dash):
    dash.epochs.value = 60
    dash.train_button.click()
    assert not dash.scrubber.disabled and dash.scrubber.max == len(dash.result.snapshots) - 1
    assert dash.compare.disabled                  # nothing to compare with yet
    dash.seed.value = 1
    dash.train_button.click()
    assert not dash.compare.disabled
    frames = dash.frames
    dash.compare.value = True
    dash.scrubber.value = 0
    assert dash.frames == frames + 2              # each change redraws


def test_bad_settings_are_reported_not_raised(dash):
    dash.features.value = "raw"
    dash.loss.value = "non_saturating"
    dash.target.value = "2-D ring of 8 Gaussians"
    dash.epochs.value = 20
    dash.train_button.click()                     # raw features of a 2-D batch work; no crash either way
    assert dash.result is not None or "Cannot train" in dash.status.value


def test_background_run_can_be_stopped_and_keeps_its_result():
    d = Dashboard(background=True)
    d.epochs.value = 5000
    d.train_button.click()
    # waits on conditions, not on the clock: the thread has trained a few epochs (the progress bar
    # moved), or it has ended early (which the asserts below then report); the limits are for an
    # idle machine, stretched on a busy one (tests/timing.py)
    wait_scaled(lambda: d.progress.value > 0 or not d.running, 30, "the background run reporting its first epochs")
    assert d.running and d.train_button.disabled, f"the run ended before Stop: {d.status.value}"
    d.stop_button.click()
    wait_scaled(lambda: not d.running, 30, "the background run ending after Stop")
    r = d.wait()
    assert r.status == "stopped" and 0 < r.epochs_done < 5000
    assert "stopped" in d.status.value
    assert r.sample(10).shape == (10, 1)


@pytest.mark.slow
def test_every_target_can_be_drawn_and_trained_briefly():
    for name in TARGETS:
        d = Dashboard(background=False)
        d.target.value = name
        d.epochs.value = 20
        d.train_button.click()
        assert d.result.status == "finished", name


def test_custom_target_and_estimate():
    d = Dashboard(samplers.Gaussian(-3, 0.5), background=False)
    assert d.target.value.startswith("custom")
    assert estimate_seconds("classic", 5001, 20, 20) > 120
    assert estimate_seconds("modern", 800, 1, 1) < 5
    assert set(PRESETS) >= {"modern recipe"}



# --------------------------------------------------------------------------- controls from the declaration

def test_every_control_is_made_from_its_settings_declaration(dash):
    """Each slider's range, scale and label and each menu's choices are read from gan_lesson.training.recipes."""
    for name in recipes.CONTROLLED:
        declared = recipes.SEED if name == "seed" else recipes.SETTINGS[name]
        widget, control = getattr(dash, name), declared.control
        assert widget.description == control.label, name
        if isinstance(control, recipes.Menu):
            assert list(widget.options) == list(declared.choices), name
        elif control.log:
            assert (widget.base, widget.step) == (10, control.step), name
            assert (widget.min, widget.max) == (math.log10(control.low), math.log10(control.high)), name
        else:
            assert (widget.min, widget.max, widget.step) == (control.low, control.high, control.step), name
    assert set(dash.settings()) == {"recipe", *recipes.CONTROLLED}


def test_a_changed_declaration_changes_the_slider(monkeypatch):
    wider = dataclasses.replace(recipes.SETTINGS["d_steps"], control=recipes.Slider("D steps / epoch", 1, 50))
    monkeypatch.setitem(recipes.SETTINGS, "d_steps", wider)
    d = Dashboard(background=False)
    assert (d.d_steps.min, d.d_steps.max) == (1, 50)
    d.d_steps.value = 40
    with pytest.raises(ValueError, match=r"d_steps.value must be from 1 to 50; got 60"):
        d.d_steps.value = 60


def test_presets_and_targets_live_with_the_recipes_and_are_importable_here():
    assert widgets.PRESETS is recipes.PRESETS and widgets.TARGETS is recipes.TARGETS


def test_the_overlay_is_drawn_into_the_named_panels(dash, monkeypatch):
    """With two runs and the overlay on, the previous run joins this one in the distance and samples panels."""
    dash.epochs.value = 40
    dash.train_button.click()
    dash.seed.value = 1
    dash.train_button.click()
    drawn, make = [], plots.dashboard_figure
    monkeypatch.setattr(plots, "dashboard_figure", lambda *a, **k: drawn.append(make(*a, **k)) or drawn[-1])
    dash.compare.value = True
    panels = drawn[-1]
    assert [line.get_label() for line in panels["distance"].lines] == ["this run", "previous run"]
    assert panels.lines["distance"].get_label() == "this run"
    assert "previous run" in [p.get_label() for p in panels["samples"].patches]


# --------------------------------------------------------------------------- the live view

def test_a_run_shows_live_pictures_from_one_view_drawn_in_full_only_when_a_panel_widens():
    """Each picture during a run redraws only what moves: the figure is drawn in full when the run
    starts and when a curve leaves its panel, not for every picture; a second run reuses the view."""
    d = Dashboard(background=False, redraw_every=0)
    d.epochs.value = 200
    pictures = []
    d.image.observe(lambda change: pictures.append((d.image.format, change["new"])), names="value")
    d.train_button.click()
    view = d._view
    live = [data for kind, data in pictures if kind == "jpeg"]
    assert d.result.status == "finished"
    # how many pictures a run shows depends on the machine's speed (the benchmark measures the rate)
    assert len(live) >= 2 and len(set(live)) == len(live), "every live picture is new"
    assert all(data[:3] == b"\xff\xd8\xff" for data in live)            # JPEG frames while training
    assert pictures[-1][0] == "png" and pictures[-1][1][:4] == b"\x89PNG"  # the result, a PNG that stays
    assert view.frames == len(live) and view.full_draws <= 1 + len(live) // 3
    d.train_button.click()
    assert d._view is view, "the next run of the same target and length reuses the view"


def test_live_view_frames_grow_a_panel_when_a_curve_leaves_it():
    from gan_lesson.training.results import History
    target = samplers.Gaussian(4, 1.25)
    view = plots.LiveView(target, target(500), 100)
    view.prepare()
    rest = dict(grad_g=1.0, spread=1.0, fake_mean=4.0, fake_std=1.0, fake_skew=0.0, fake_kurtosis=0.0, seconds=0.0)
    h = History()
    h.append(epoch=0, loss_d=1.4, loss_g=0.7, d_real=0.5, d_fake=0.5, distance=2.0, **rest)
    first = view.frame(h, target(200), "epoch 0 of 100")
    assert view.full_draws == 1 and first[:3] == b"\xff\xd8\xff"
    h.append(epoch=50, loss_d=9.0, loss_g=0.7, d_real=0.5, d_fake=0.5, distance=1.0, **rest)
    view.frame(h, target(200), "epoch 50 of 100")
    assert view.full_draws == 2 and view.panels["losses"].get_ylim()[1] > 9.0
    view.reset()
    assert view.panels["losses"].get_ylim() == (0, 2) and not view.fresh
    view.prepare()
    assert view.fresh


@pytest.mark.slow
def test_pressing_train_thirty_times_holds_no_more_figures_or_runs():
    """A class presses Train all lesson long: the figures are reused or closed, the picture is
    replaced, and the dashboard keeps only its last KEEP_RUNS runs, so nothing grows with the presses."""
    import gc

    import matplotlib.figure
    import matplotlib.pyplot as plt

    def figures():
        gc.collect()
        return sum(isinstance(o, matplotlib.figure.Figure) for o in gc.get_objects())

    d = Dashboard(background=False)
    d.epochs.value = d.epochs.min
    counts = []
    for press in range(1, 31):
        d.train_button.click()
        assert d.result.status == "finished", d.status.value
        if press in (10, 30):
            counts.append((figures(), len(plt.get_fignums()), len(d.results), len(d.image.value)))
    (figs_10, open_10, runs_10, _), (figs_30, open_30, runs_30, _) = counts
    assert figs_30 <= figs_10, f"figures alive: {figs_10} after 10 presses, {figs_30} after 30"
    assert open_10 == open_30 == 0                     # nothing left open in pyplot
    assert runs_10 == runs_30 == widgets.KEEP_RUNS


@pytest.mark.slow
def test_every_figure_is_opaque_whatever_the_inline_backend_sets():
    """Black text on a transparent figure vanishes in JupyterLab's dark theme. An inline backend that
    sets a transparent background (older ones did, in InlineBackend.rc) before the package loads, and
    again after it (as ``%matplotlib inline`` does), still gets opaque white figures, on screen and saved."""
    import subprocess
    import sys
    code = """
import base64, io
from IPython.core.interactiveshell import InteractiveShell
from matplotlib_inline.config import InlineBackend
import matplotlib
from PIL import Image
shell = InteractiveShell.instance()
transparent = {"figure.facecolor": (1, 1, 1, 0), "figure.edgecolor": (1, 1, 1, 0)}
InlineBackend.instance(parent=shell).rc = dict(transparent)
matplotlib.rcParams.update(transparent)
import gan_lesson
from matplotlib_inline.backend_inline import configure_inline_support
configure_inline_support(shell, "inline")                         # what `%matplotlib inline` does
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([0, 1], [0, 1])
saved = io.BytesIO()
fig.savefig(saved, format="png")
shown = shell.display_formatter.formatters["image/png"](fig)     # what the notebook shows
shown = base64.b64decode(shown) if isinstance(shown, str) else shown
for png in (saved.getvalue(), shown):
    print(Image.open(io.BytesIO(png)).convert("RGBA").getextrema()[3][0])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["255", "255"], f"lowest alpha (saved, shown): {out.stdout.split()}"


def test_a_target_changed_while_the_live_view_is_made_gets_a_view_of_its_own():
    """The notebook picks another target (a preset) while the background thread makes the live view
    for the previous one: the run on the new target must not draw into the old target's view (a 2-D
    ring's scatter fed 1-D samples raised IndexError in the browser)."""
    d = None

    def ring():
        if d is not None and d.target.value == "ring":
            d.target.value = "line"     # as a preset chosen from the notebook, while the view is being made
        return samplers.Ring(seed=0)

    d = Dashboard(background=True, targets={"ring": ring, "line": lambda: samplers.Gaussian(4, 1.25)})
    d.epochs.value = 30
    d.target.value = "ring"             # readies the ring's view in a thread; the ring switches the menu
    wait_scaled(lambda: d._preparer is None, 30, "the live view being made in the background")
    assert d.target.value == "line"
    d.train(blocking=True)
    assert d.result is not None and d.result.status == "finished", d.status.value
    assert d.result.sample(5).shape == (5, 1)
