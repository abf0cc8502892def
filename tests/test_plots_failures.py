"""The figures of notebook 06 and the dashboard's: what each draws, and the errors a wrong argument gets."""
from types import SimpleNamespace

import matplotlib
import matplotlib.collections
import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import pytest

from gan_lesson import plots, samplers
from gan_lesson.training import History

matplotlib.use("Agg")


def history(n=6, grad=1.0, offset=0.0):
    return History.from_dict({
        "epoch": [20 * i for i in range(n)], "d_real": [0.9] * n, "d_fake": [0.1] * n,
        "grad_g": [float("nan")] + [grad / (i + 1) for i in range(n - 1)],
        "distance": list(np.linspace(2.0, 0.1, n) + offset), "spread": [1.0] * n,
    })


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------- gradient_panels

def test_gradient_panels_draw_one_panel_per_run_plus_the_gradients():
    fig = plots.gradient_panels({"a": history(), "b": history(grad=5.0)}, title="two runs")
    grad, *beliefs = fig.axes
    assert len(beliefs) == 2
    assert len(grad.get_lines()) == 2 and grad.get_yscale() == "log"
    assert len(grad.get_lines()[0].get_xdata()) == 5           # the NaN first record is left out
    for ax, label in zip(beliefs, "ab"):
        assert len(ax.get_lines()) == 3                         # D(x), D(G(z)), the 0.5 line
        assert label in ax.get_title()
    assert len(fig.legends) == 1                                # one shared legend for the belief panels
    assert fig._suptitle.get_text() == "two runs"


@pytest.mark.parametrize("arg, error, message", [
    ({}, ValueError, "histories must hold at least one run"),
    ([history()], TypeError, "histories must be a dict"),
    ({"a": [1, 2, 3]}, TypeError, r"histories\['a'\] must be a History"),
])
def test_gradient_panels_bad_arguments(arg, error, message):
    with pytest.raises(error, match=message):
        plots.gradient_panels(arg)


# --------------------------------------------------------------------------- distance_curves

def test_distance_curves_one_line_per_run_in_distinct_styles():
    ax = plots.distance_curves({"a": history(), "b": history(offset=0.5), "c": ([0, 10], [1.0, 0.5])}, scale=2.0)
    lines = ax.get_lines()
    assert len(lines) == 3 and ax.get_yscale() == "log"
    assert np.allclose(lines[2].get_ydata(), [0.5, 0.25])      # divided by scale
    assert len({(l.get_color(), l.get_linestyle()) for l in lines}) == 3
    assert "target standard deviations" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]


def test_distance_curves_take_colours_and_an_axes():
    _, ax = plt.subplots()
    out = plots.distance_curves({"a": history()}, ax, colors={"a": "red"})
    assert out is ax and ax.get_lines()[0].get_color() == "red"
    assert "data units" in ax.get_ylabel()


@pytest.mark.parametrize("arg, kwargs, error, message", [
    ({}, {}, ValueError, "histories must hold at least one run"),
    ({"a": history()}, {"scale": 0}, ValueError, "scale must be a positive number"),
    ({"a": history()}, {"scale": "1"}, ValueError, "scale must be a positive number"),
    ({"a": history()}, {"colors": ["red"]}, TypeError, "colors must be a dict"),
    ({"a": 3.0}, {}, TypeError, r"histories\['a'\] must be a History or a pair"),
    ({"a": ([0, 1, 2], [1.0, 2.0])}, {}, ValueError, "has 3 epochs but 2 distances"),
])
def test_distance_curves_bad_arguments(arg, kwargs, error, message):
    with pytest.raises(error, match=message):
        plots.distance_curves(arg, **kwargs)


# --------------------------------------------------------------------------- seed_outcomes

def test_seed_outcomes_one_row_of_dots_per_group_and_the_threshold():
    groups = {"steady": [0.05, 0.08, 0.2], "wild": np.array([0.5, 1.0, 0.02, 3.0])}
    ax = plots.seed_outcomes(groups, threshold=0.1)
    dots = ax.collections
    assert [len(c.get_offsets()) for c in dots] == [3, 4]
    assert ax.get_xscale() == "log"
    assert len(ax.get_lines()) == 1                             # the threshold line
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["steady\n2 of 3 fit", "wild\n1 of 4 fit"]


def test_seed_outcomes_without_a_threshold_counts_runs():
    ax = plots.seed_outcomes({"all": [0.3, 0.4]}, threshold=None)
    assert len(ax.get_lines()) == 0
    assert [t.get_text() for t in ax.get_yticklabels()] == ["all\n2 runs"]


@pytest.mark.parametrize("arg, kwargs, error, message", [
    ({}, {}, ValueError, "groups must hold at least one run"),
    ({"a": []}, {}, ValueError, r"groups\['a'\] must hold at least one distance"),
    ({"a": [0.1, 0.0]}, {}, ValueError, r"groups\['a'\] must hold finite distances > 0"),
    ({"a": [0.1, float("nan")]}, {}, ValueError, "finite distances > 0"),
    ({"a": [0.1]}, {"threshold": 0}, ValueError, "threshold must be a positive number"),
    ((0.1, 0.2), {}, TypeError, "groups must be a dict"),
])
def test_seed_outcomes_bad_arguments(arg, kwargs, error, message):
    with pytest.raises(error, match=message):
        plots.seed_outcomes(arg, **kwargs)


# --------------------------------------------------------------------------- stability_heatmap

def smap(rows=2, cols=3):
    return SimpleNamespace(lr_d=np.geomspace(1e-4, 1e-2, rows), lr_g=np.geomspace(1e-4, 1e-2, cols),
                           fraction=np.linspace(0, 1, rows * cols).reshape(rows, cols), threshold=0.1)


def test_stability_heatmap_annotates_every_cell_and_marks_one():
    ax = plots.stability_heatmap(smap(), mark=(1e-2, 1e-4))
    assert len(ax.images) == 1
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["0%", "20%", "40%", "60%", "80%", "100%"]
    (box,) = ax.patches
    assert box.get_xy() == (-0.5, 0.5)                          # column of lr_g 1e-4, row of lr_d 1e-2
    assert "0.1 target std" in ax.get_title()
    assert ax.get_xlabel() == "learning rate of G" and ax.get_ylabel() == "learning rate of D"
    assert len(ax.figure.axes) == 2                             # the heatmap and its colour bar


def test_stability_heatmap_of_a_real_map():
    from gan_lesson import samplers
    from gan_lesson.training.many import stability_map
    grid = stability_map(samplers.Gaussian(), lr_d=[1e-3, 2e-3], lr_g=[2e-3], seeds=1, epochs=20, progress=False)
    ax = plots.stability_heatmap(grid, title="tiny")
    assert len(ax.texts) == 2 and ax.get_title() == "tiny"


@pytest.mark.parametrize("arg, kwargs, error, message", [
    (SimpleNamespace(lr_d=[1e-3], lr_g=[1e-3]), {}, TypeError, "smap must be a StabilityMap.*no fraction"),
    (SimpleNamespace(lr_d=[1e-3, 1e-2], lr_g=[1e-3], fraction=np.zeros((1, 2))), {}, ValueError,
     r"fraction must have shape \(2, 1\)"),
    (smap(), {"mark": 1e-3}, TypeError, "mark must be a pair"),
    (smap(), {"mark": (1e-3, -1.0)}, ValueError, "mark must be a pair"),
])
def test_stability_heatmap_bad_arguments(arg, kwargs, error, message):
    with pytest.raises(error, match=message):
        plots.stability_heatmap(arg, **kwargs)


def test_plain_log_ticks_label_a_log_axis_with_plain_numbers():
    fig, ax = plt.subplots()
    ax.plot([1, 2], [0.2, 3])
    ax.set_yscale("log")
    plots.plain_log_ticks(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() + ax.get_yticklabels(minor=True) if t.get_text()]
    assert "1" in labels and "0.3" in labels and "2" in labels
    assert not any("10^" in t or "times" in t or "$" in t for t in labels)
    plt.close(fig)
    with pytest.raises(ValueError, match="which must be 'x' or 'y'; got 'z'"):
        plots.plain_log_ticks(ax, "z")


# --------------------------------------------------------------------------- the dashboard's panels, by name

def dashboard_history(n=6):
    h = history(n)
    return History.from_dict({**h.as_dict(), "loss_d": [1.3] * n, "loss_g": [0.7] * n})


def test_dashboard_figure_gives_its_panels_and_lines_by_name():
    target = samplers.Gaussian(4, 1.25)
    real, fake = target(500), target(500) + 1
    panels = plots.dashboard_figure(dashboard_history(), fake, target, real, epochs=100, title="t", standalone=True)
    assert list(panels) == ["samples", "losses", "beliefs", "distance"]
    assert [panels[n] for n in panels] == panels.figure.axes
    assert panels["distance"].get_title() == "Distance to the target (W1)"
    assert panels["beliefs"].get_title() == "What D believes"
    lines = panels.lines
    assert list(lines["distance"].get_ydata()) == list(dashboard_history().distance)
    assert lines["distance"] in panels["distance"].lines and lines["d_fake"] in panels["beliefs"].lines
    assert lines["loss_d"].get_label() == "D loss" and lines["loss_g"] in panels["losses"].lines
    assert lines["generated"].get_label() == "generated" and lines["target density"].get_label() == "target density"
    assert plots.figure_png(panels)[:4] == b"\x89PNG"
    with pytest.raises(KeyError, match="no panel named 'loss'; the panels are 'samples', 'losses'"):
        panels["loss"]

    before = plots.dashboard_figure(History(), None, target, real, epochs=100, standalone=True)
    assert before.lines["real"].get_facecolor()[:3] == matplotlib.colors.to_rgb(plots.REAL)   # real data in REAL
    assert "generated" not in before.lines

    ring = samplers.Ring(8, 2.0, 0.05)
    flat = plots.dashboard_figure(dashboard_history(), ring(300), ring, ring(300), standalone=True)
    assert flat.lines["generated"] in flat["samples"].collections and flat.lines["real"] in flat["samples"].collections
    assert isinstance(flat.lines["generated"], matplotlib.collections.PathCollection)


# --------------------------------------------------------------------------- scatter_2d

def test_scatter_2d_keeps_the_limits_it_is_given_with_equal_axes(caplog):
    """Notebook 03 draws the 2-D pair beside a colour bar with fixed limits: they must hold, silently."""
    fig, ax = plt.subplots(figsize=(7.5, 6))
    fig.colorbar(ax.contourf([[0.0, 1.0], [1.0, 0.0]]), ax=ax)
    with caplog.at_level("WARNING", logger="matplotlib"):
        drawn = plots.scatter_2d(samplers.Gaussian2D(seed=0)(300), samplers.Gaussian2D(seed=1)(300) - 1, ax,
                                 lim=((-5, 7), (-5, 9)))
        fig.canvas.draw()
    assert drawn is ax and ax.get_aspect() == 1.0
    assert ax.get_xlim() == (-5.0, 7.0) and ax.get_ylim() == (-5.0, 9.0)
    assert not [r for r in caplog.records if "Ignoring fixed" in r.getMessage()]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["real", "generated"]


@pytest.mark.parametrize("lim", [(1, 2), ((1, 0), (0, 1)), ((0, 1), (0, float("nan"))), "box"])
def test_scatter_2d_bad_limits(lim):
    with pytest.raises(ValueError, match=r"lim must be \(\(x_low, x_high\), \(y_low, y_high\)\) with each low "
                                         r"below its high, or None; got"):
        plots.scatter_2d(samplers.Gaussian2D(seed=0)(10), lim=lim)
