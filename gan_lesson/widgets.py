"""The training dashboard: sliders, a Train button, live figures, a stop control.

    from gan_lesson.widgets import Dashboard
    Dashboard()            # the last line of a cell shows it

The dashboard only collects settings and draws; the training is ``gan_lesson.fit`` with a
callback, so everything it shows can be reproduced with one ``fit`` call (``dash.fit_call()``
prints it). In a live notebook a run trains in a background thread, so the Stop button (and
every other control) stays responsive; ``Dashboard(background=False)`` trains in the calling
thread instead, which is what tests and headless runs use (there the notebook's interrupt
button stops a run, and fit keeps what it trained).

Headless use: set ``dash.lr_d.value = 1e-3`` (observers fire at once), call
``dash.train_button.click()``, then ``dash.wait()``; the result is ``dash.result``.
"""
import html
import threading
import time

import ipywidgets as W
import numpy as np
import torch

from . import plots, samplers
from .coach import diagnose
from .features import FEATURES
from .losses import LOSSES
from .metrics import moments
from .recipes import RECIPES
from .training import History, _as_target, fit
from .validation import check_choice, check_number

__all__ = ["Dashboard", "TARGETS", "PRESETS", "estimate_seconds"]

#: Targets offered in the dashboard (name -> a function that makes the sampler).
TARGETS = {
    "N(4, 1.25), the series' target": lambda: samplers.Gaussian(4.0, 1.25),
    "two far bumps (mixture at ±3)": lambda: samplers.Mixture((-3.0, 3.0), 0.3),
    "skewed (Gamma, shape 2)": lambda: samplers.Gamma(2.0, 1.0),
    "bounded (uniform on 0–1)": lambda: samplers.Uniform(0.0, 1.0),
    "2-D correlated Gaussian": lambda: samplers.Gaussian2D(),
    "2-D ring of 8 Gaussians": lambda: samplers.Ring(8, 2.0, 0.05),
}

_PLAIN = {"lr_decay": False, "ema": 0.0}                       # no schedule, no averaging
_SGD = {"optimizer": "sgd", "momentum": 0.9, **_PLAIN}

#: Named starting points: each sets the recipe, the target (a key of ``TARGETS``; the first
#: target when it names none), any slider it names (lr_d, lr_g, epochs, d_steps, g_steps, seed, loss,
#: features), and under ``changes`` any other recipe setting (shown below the sliders);
#: everything else takes the recipe's value. ``expect`` is what the coach should say.
PRESETS = {
    "modern recipe": {"recipe": "modern", "expect": "converged"},
    "classic recipe (notebook 05; slow)": {"recipe": "classic", "epochs": 1000},
    "failure: D overpowers G (vanishing gradients)": {
        "changes": {**_SGD, "standardise": False}, "loss": "minimax", "lr_d": 1e-2, "lr_g": 1e-3,
        "d_steps": 5, "epochs": 300, "expect": "d_winning"},
    "remedy: the same with the non-saturating loss": {
        "changes": {**_SGD, "standardise": False}, "loss": "non_saturating", "lr_d": 1e-2, "lr_g": 1e-3,
        "d_steps": 5, "epochs": 300, "expect": "learning"},
    "failure: D pre-trained for 300 steps (a head start)": {
        "changes": {**_SGD, "standardise": False, "d_pretrain": 300}, "loss": "minimax", "lr_d": 1e-2,
        "lr_g": 1e-3, "epochs": 300, "expect": "d_winning"},
    "failure: G fools a moments-only D (ring)": {
        "target": "2-D ring of 8 Gaussians", "features": "moments", "expect": "g_exploits"},
    "failure: mode collapse (two far bumps)": {
        "target": "two far bumps (mixture at ±3)", "changes": _SGD, "lr_d": 1e-2, "lr_g": 1e-2,
        "epochs": 600, "expect": "collapsed"},
    "remedy: two far bumps with the Wasserstein loss": {
        "target": "two far bumps (mixture at ±3)", "loss": "wasserstein_gp", "epochs": 1600, "expect": "converged"},
    "failure: oscillation (learning rates too high)": {
        "changes": {**_PLAIN, "betas": (0.9, 0.999)}, "lr_d": 1e-2, "lr_g": 1e-2, "expect": "oscillating"},
}

_SETTINGS = ("lr_d", "lr_g", "epochs", "d_steps", "g_steps", "seed", "loss", "features")


def estimate_seconds(recipe, epochs, d_steps, g_steps, loss="non_saturating"):
    """A rough wall-time estimate on one CPU thread (measured: ~1.2 ms a step, more for batch features)."""
    per_step = 1.2e-3 if RECIPES[recipe].features == "per_sample" else 1.5e-3
    if loss == "wasserstein_gp":
        per_step *= 1.6
    return epochs * (d_steps + g_steps) * per_step


def _fmt_seconds(s):
    return f"≈ {s:.0f} s" if s < 90 else f"≈ {s / 60:.0f} min"


class Dashboard:
    """Sliders for the learning rates, epochs, steps, seed, loss and what D sees; a Train button;
    live figures; the final statistics. ``dash.result`` holds the latest ``FitResult`` and
    ``dash.results`` every run so far."""

    def __init__(self, target=None, *, preset="modern recipe", background=True, redraw_every=1.5,
                 presets=None, targets=None):
        self.presets = dict(PRESETS if presets is None else presets)
        self.targets = dict(TARGETS if targets is None else targets)
        if target is not None:
            if isinstance(target, (np.ndarray, torch.Tensor)):      # a data set, as fit accepts
                shape = tuple(target.shape)
                name = f"custom: your data ({shape[0]} samples{'' if len(shape) < 2 else f', {shape[1]}-D'})"
            else:
                name = f"custom: {target!r}"[:60]
            target = _as_target(target)
            self.targets = {name: (lambda t=target: t), **self.targets}
        self.background = background
        self.redraw_every = check_number("redraw_every", redraw_every, low=0)
        self.result, self.results = None, []
        self.frames = 0
        self._thread, self._stop, self._last_draw, self._last_coach = None, False, 0.0, 0.0
        self.diagnosis = None
        self._target = None
        self._changes = {}

        style = {"description_width": "120px"}
        wide = W.Layout(width="420px")
        self.preset = W.Dropdown(options=list(self.presets), description="preset", style=style, layout=wide)
        self.target = W.Dropdown(options=list(self.targets), description="target (real data)", style=style, layout=wide)
        self.recipe = W.ToggleButtons(options=list(RECIPES), description="recipe", style=style)
        self.lr_d = W.FloatLogSlider(value=2e-3, base=10, min=-5, max=0, step=0.1, description="lr of D",
                                     readout_format=".1e", style=style, layout=wide, continuous_update=False)
        self.lr_g = W.FloatLogSlider(value=2e-3, base=10, min=-5, max=0, step=0.1, description="lr of G",
                                     readout_format=".1e", style=style, layout=wide, continuous_update=False)
        self.epochs = W.IntSlider(value=800, min=10, max=5000, step=10, description="epochs", style=style,
                                  layout=wide, continuous_update=False)
        self.d_steps = W.IntSlider(value=1, min=1, max=20, description="D steps / epoch", style=style,
                                   layout=wide, continuous_update=False)
        self.g_steps = W.IntSlider(value=1, min=1, max=20, description="G steps / epoch", style=style,
                                   layout=wide, continuous_update=False)
        self.seed = W.IntSlider(value=0, min=0, max=99, description="seed", style=style, layout=wide,
                                continuous_update=False)
        self.loss = W.Dropdown(options=list(LOSSES), description="loss", style=style, layout=wide)
        self.features = W.Dropdown(options=list(FEATURES), description="what D sees", style=style, layout=wide)
        self.estimate = W.HTML()
        self.train_button = W.Button(description="Train", button_style="primary", icon="play")
        self.stop_button = W.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.progress = W.IntProgress(value=0, min=0, max=800, description="progress", style=style)
        self.status = W.HTML("Set the sliders, then press <b>Train</b>.")
        self.coach = W.HTML()
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width="1150px"))
        self.stats = W.HTML()
        self.scrubber = W.IntSlider(value=0, min=0, max=0, description="snapshot", disabled=True,
                                    style=style, layout=W.Layout(width="840px"))
        self.compare = W.Checkbox(value=False, description="overlay the previous run", disabled=True)

        self.preset.observe(self._on_preset, names="value")
        self.recipe.observe(self._on_recipe, names="value")
        for w in (self.epochs, self.d_steps, self.g_steps, self.loss, self.recipe):
            w.observe(self._update_estimate, names="value")
        self.train_button.on_click(lambda _: self.train())
        self.stop_button.on_click(lambda _: self.stop())
        self.scrubber.observe(self._on_scrub, names="value")
        self.compare.observe(lambda _: self._on_scrub(None), names="value")

        check_choice("preset", preset, tuple(self.presets))
        self._apply_preset(self.presets[preset])
        self.preset.value = preset

        left = W.VBox([self.preset, self.target, self.recipe, self.lr_d, self.lr_g, self.epochs])
        right = W.VBox([self.d_steps, self.g_steps, self.seed, self.loss, self.features, self.estimate])
        buttons = W.HBox([self.train_button, self.stop_button, self.progress])
        self.widget = W.VBox([W.HBox([left, right]), buttons, self.status, self.coach, self.image,
                              W.HBox([self.scrubber, self.compare]), self.stats])
        self._draw_empty()

    # ------------------------------------------------------------------ settings
    def _apply_preset(self, preset):
        recipe = preset.get("recipe", "modern")
        self._changes = dict(preset.get("changes", {}))
        self.recipe.unobserve(self._on_recipe, names="value")
        self.recipe.value = recipe
        self.recipe.observe(self._on_recipe, names="value")
        self._reset_to_recipe(recipe)
        # a preset that names no target means the default one (the first), not whatever the
        # previous preset left behind: its expected diagnosis holds only for its own target
        self.target.value = preset.get("target", self.target.options[0])
        for name in _SETTINGS:
            if name in preset:
                getattr(self, name).value = preset[name]
        self._update_estimate()

    def _reset_to_recipe(self, name):
        r = RECIPES[name]
        self.lr_d.value, self.lr_g.value = r.lr_d, r.lr_g
        self.epochs.value = min(r.epochs, self.epochs.max)
        self.d_steps.value, self.g_steps.value = r.d_steps, r.g_steps
        self.loss.value, self.features.value = r.loss, r.features

    def _on_preset(self, change):
        self._apply_preset(self.presets[change["new"]])

    def _on_recipe(self, change):
        self._changes = {}
        self._reset_to_recipe(change["new"])
        self._update_estimate()

    def _update_estimate(self, _=None):
        s = estimate_seconds(self.recipe.value, self.epochs.value, self.d_steps.value, self.g_steps.value,
                             self.loss.value)
        note = ""
        if getattr(self, "_changes", None):
            listed = ", ".join(f"{k}={v!r}" for k, v in self._changes.items())
            note = f"<br><i>this preset also sets: {html.escape(listed)}</i>"
        self.estimate.value = f"<i>run time {_fmt_seconds(s)} on one CPU thread</i>{note}"

    def settings(self):
        """The current settings, as keyword arguments for ``gan_lesson.fit``."""
        recipe = RECIPES[self.recipe.value]
        if self._changes:
            recipe = recipe.replace(name=f"{self.recipe.value} + preset", **self._changes)
        return {"recipe": recipe, **{n: getattr(self, n).value for n in _SETTINGS}}

    def fit_call(self):
        """The ``fit`` call that reproduces the next run (printed, for copying into a cell)."""
        shown = {"recipe": self.recipe.value, **{n: getattr(self, n).value for n in _SETTINGS}}
        args = ", ".join(f"{k}={v!r}" if not isinstance(v, float) else f"{k}={v:.3g}" for k, v in shown.items())
        if self._changes:
            changes = ", ".join(f"{k}={v!r}" for k, v in self._changes.items())
            args = args.replace(f"recipe={self.recipe.value!r}",
                                f"recipe=gan_lesson.RECIPES[{self.recipe.value!r}].replace({changes})")
        return f"gan_lesson.fit(target, {args})"

    # ------------------------------------------------------------------ running
    def train(self, blocking=None):
        """Start a run with the current settings (in a thread unless ``blocking`` or ``background=False``)."""
        if self.running:
            self.status.value = "A run is already going; press <b>Stop</b> first."
            return
        self._stop = False
        self._target = self.targets[self.target.value]()
        self.train_button.disabled, self.stop_button.disabled = True, False
        self.scrubber.disabled = self.compare.disabled = True
        self.progress.max, self.progress.value = self.epochs.value, 0
        self.progress.bar_style = ""
        self.status.value = f"Training… ({_fmt_seconds(estimate_seconds(self.recipe.value, self.epochs.value, self.d_steps.value, self.g_steps.value, self.loss.value))})"
        blocking = (not self.background) if blocking is None else blocking
        if blocking:
            self._run()
        else:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout=None):
        """Block until a background run ends (for tests and scripts)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.result

    def stop(self):
        """Ask the running training to stop at its next record; it keeps what it trained."""
        self._stop = True
        self.status.value = "Stopping…"

    def _run(self):
        started = time.perf_counter()
        self._last_draw = 0.0
        try:
            result = fit(self._target, callback=self._on_progress, progress=False, **self.settings())
        except (ValueError, TypeError) as exc:
            self.status.value = f"<span style='color:#b00'>Cannot train with these settings: {html.escape(str(exc))}</span>"
            self.progress.bar_style = "danger"
            self._finish()
            return
        except Exception as exc:  # keep the dashboard alive and say what happened
            self.status.value = f"<span style='color:#b00'>Training failed: {html.escape(type(exc).__name__)}: {html.escape(str(exc))}</span>"
            self.progress.bar_style = "danger"
            self._finish()
            return
        self.result = result
        self.results.append(result)
        if len(result.history) and result.snapshots:
            self._say(diagnose(result.history, reference=result.reference, samples=result.snapshots[-1][1],
                               loss=result.recipe.loss, status=result.status))
        self._draw_result(len(result.snapshots) - 1)
        self.stats.value = self._stats_html(result)
        colour = {"finished": "success", "diverged": "danger"}.get(result.status, "warning")
        self.progress.bar_style = colour
        took = time.perf_counter() - started
        self.status.value = (f"<b>{result.status}</b>: {html.escape(result.message)} "
                             f"(wall time {took:.1f} s, of which training {result.seconds:.1f} s)")
        if result.snapshots:
            self.scrubber.max = len(result.snapshots) - 1
            self.scrubber.unobserve(self._on_scrub, names="value")
            self.scrubber.value = self.scrubber.max
            self.scrubber.observe(self._on_scrub, names="value")
            self.scrubber.disabled = False
        self.compare.disabled = len(self.results) < 2
        self._finish()

    def _finish(self):
        self.train_button.disabled, self.stop_button.disabled = False, True

    def _on_progress(self, state):
        self.progress.value = state.epoch
        now = time.perf_counter()
        if state.epoch == 0 or now - self._last_draw >= self.redraw_every:
            self._draw(state.history, state.samples, state.reference, state.epochs,
                       f"epoch {state.epoch} of {state.epochs}")
            self._last_draw = time.perf_counter()
        self._after_record(state)
        return not self._stop

    def _after_record(self, state):
        """The coach reads the record and says what is happening (at most every half second)."""
        now = time.perf_counter()
        if state.epoch and now - self._last_coach < 0.5 and state.epoch != state.epochs:
            return
        self._last_coach = now
        self._say(diagnose(state.history, reference=state.reference, samples=state.samples,
                           loss=state.recipe.loss))

    def _say(self, diagnosis):
        self.diagnosis = diagnosis
        colour = "#1a7f37" if diagnosis.healthy else "#b35900"
        self.coach.value = (f"<span style='color:{colour}; font-size:14px'><b>Coach:</b> "
                            f"{html.escape(diagnosis.sentence)}</span>")

    # ------------------------------------------------------------------ drawing
    def _draw(self, history, samples, reference, epochs, title, previous=None):
        fig = plots.dashboard_figure(history, samples, self._target, reference, epochs=epochs,
                                     title=title, standalone=True)
        if previous is not None and len(previous.history):
            ax = fig.axes[3]
            if ax.lines:
                ax.lines[0].set_label("this run")
            ax.plot(previous.history.epoch, previous.history.distance, color="black", ls="--", lw=1.5,
                    label="previous run")
            ax.legend(fontsize=9)
            prev = previous.snapshots[-1][1].numpy() if previous.snapshots else None
            ax0 = fig.axes[0]
            if prev is not None and prev.shape[1] == 1 and np.asarray(samples).shape[1] == 1:
                edges = np.linspace(*ax0.get_xlim(), 51)
                ax0.stairs(np.histogram(prev[:, 0], edges, density=True)[0], edges, color="black", lw=1.5,
                           label="previous run")
                ax0.legend(loc="upper right", fontsize=9)
            elif prev is not None and prev.shape[1] >= 2:
                # above the real points, below this run's points (zorder): the current run stays visible
                if len(ax0.collections) >= 2:
                    ax0.collections[-1].set_zorder(2)
                ax0.scatter(prev[:, 0], prev[:, 1], s=2, color="black", alpha=0.3, label="previous run", zorder=1.5)
                ax0.legend(loc="upper left", fontsize=9, markerscale=3)
        self.image.value = plots.figure_png(fig)
        self.frames += 1

    def _draw_empty(self):
        target = self.targets[self.target.value]()
        self._target = target
        real = target(2000)
        if not isinstance(real, np.ndarray):
            real = real.detach().numpy()
        self._draw(History(), None, real.reshape(len(real), -1), self.epochs.value, "before training: the target")
        self.frames = 0

    def _draw_result(self, index):
        r = self.result
        epoch, samples = r.snapshots[index]
        h = History.from_dict({k: v[:index + 1] for k, v in r.history.as_dict().items()})
        prev = self.results[-2] if (self.compare.value and len(self.results) > 1) else None
        self._draw(h, samples, r.reference, r.recipe.epochs, f"snapshot at epoch {epoch} ({r.status})", prev)

    def _on_scrub(self, change):
        if self.result is not None and self.result.snapshots and not self.running:
            self._draw_result(self.scrubber.value)

    @staticmethod
    def _stats_html(result):
        rows = []
        if result.dim == 1 and result.reference is not None:
            real = moments(result.reference)
            fake = moments(result.snapshots[-1][1]) if result.snapshots else None
            rows.append("               mean    std    skew   kurtosis")
            rows.append("real       " + " ".join(f"{real[k]:7.2f}" for k in ("mean", "std", "skew", "kurtosis")))
            if fake:
                rows.append("generated  " + " ".join(f"{fake[k]:7.2f}" for k in ("mean", "std", "skew", "kurtosis")))
        elif result.reference is not None and result.snapshots:
            ref, gen = result.reference.numpy(), result.snapshots[-1][1].numpy()
            rows.append(f"real      mean {np.round(ref.mean(0), 2)}  cov {np.round(np.cov(ref.T), 2).tolist()}")
            rows.append(f"generated mean {np.round(gen.mean(0), 2)}  cov {np.round(np.cov(gen.T), 2).tolist()}")
        if len(result.history):
            rows.append(f"distance to the target (W1): {result.history.distance[-1]:.3f}   "
                        f"after {result.epochs_done} epochs in {result.seconds:.1f} s")
        return "<pre style='font-size:13px'>" + html.escape("\n".join(rows)) + "</pre>"

    # ------------------------------------------------------------------ display
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self):
        return f"Dashboard({self.target.value!r}, {self.settings()})"
