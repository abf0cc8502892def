"""The training dashboard: sliders, a Train button, live figures, a stop control.

    from gan_lesson.widgets import Dashboard
    Dashboard()            # the last line of a cell shows it

The dashboard only collects settings and draws; the training is ``gan_lesson.fit`` with a
callback, so everything it shows can be reproduced with one ``fit`` call (``dash.fit_call()``
prints it). In a live notebook a run trains in a background thread, so the Stop button (and
every other control) stays responsive; ``Dashboard(background=False)`` trains in the calling
thread instead, which is what tests and headless runs use (there the notebook's interrupt
button stops a run, and fit keeps what it trained).

While a run trains, the figure is a live view (``plots.LiveView``): drawn in full before the run
starts, then several times a second only where it moves, each picture replacing the last in place
(no flicker, core ipywidgets only); the picture that stays after the run is a full figure.

Each control is made from its setting's declaration in ``gan_lesson.recipes.SETTINGS`` (range,
scale, choices, label); the presets and targets are ``gan_lesson.recipes.PRESETS`` and ``TARGETS``.

Headless use: set ``dash.lr_d.value = 1e-3`` (observers fire at once), call
``dash.train_button.click()``, then ``dash.wait()``; the result is ``dash.result``.

One dashboard trains at a time: making a new dashboard (re-running its cell, say) or pressing
Train in another one asks any other dashboard's run to stop, and its status says why;
``gan_lesson.widgets.stop_all()`` stops every run. Whatever happens to a run (a failure, a
Ctrl-C), the dashboard gets its Train button back and says what happened.
"""
import html
import math
import threading
import time
import weakref
from collections.abc import Mapping

import ipywidgets as W
import numpy as np
import torch
from traitlets import TraitError, validate

from ..maths import samplers
from ..maths.metrics import moments
from ..maths.samplers import as_target, check_spread, draw
from ..training.coach import diagnose
from ..training.loop import REFERENCE_SIZE, fit
from ..training.recipes import PRESETS, RECIPES, SEED, SETTINGS, TARGETS, Menu, Whole, check_presets
from ..training.results import History
from ..validation import check_bool, check_choice, check_number, short_repr
from . import plots

__all__ = ["Dashboard", "TARGETS", "PRESETS", "estimate_seconds", "stop_all"]

# TARGETS and PRESETS live in gan_lesson.recipes, next to the recipes; they are importable from
# here too (``from gan_lesson.widgets import PRESETS``), as notebooks have always done.

#: The dashboard's controls, one for each setting that declares one (gan_lesson.recipes.CONTROLLED:
#: the recipe settings in SETTINGS with a control, and fit's seed), in the order of the layout.
_CONTROLS = ("lr_d", "lr_g", "epochs", "d_steps", "g_steps", "seed", "loss", "features")

#: How many runs a dashboard keeps in ``.results`` (the overlay needs the previous one; a class that
#: presses Train all lesson long must not fill the kernel's memory with every run's snapshots).
KEEP_RUNS = 5

#: The largest share of a run's CPU time the live view may spend drawing (the rest trains).
_VIEW_SHARE = 0.06


def _declared(name):
    """The declaration of the setting a control sets (the seed is fit's, not the recipe's)."""
    return SEED if name == "seed" else SETTINGS[name]


# --------------------------------------------------------------------------- one run at a time

_DASHBOARDS = weakref.WeakSet()     # every dashboard made in this kernel (weakly: a closed one goes away)
_REGISTRY_LOCK = threading.Lock()


def _others_stop(keep, reason):
    """Ask every dashboard but ``keep`` whose run is going to stop; returns those asked."""
    with _REGISTRY_LOCK:
        dashboards = list(_DASHBOARDS)
    return [d for d in dashboards if d is not keep and d._request_stop(reason)]


def stop_all(wait=False):
    """Ask every dashboard's run to stop (each keeps what it trained); returns how many were asked.

    ``wait=True`` also waits until the runs in background threads have ended.
    """
    wait = check_bool("wait", wait)
    asked = _others_stop(None, "This run was stopped because gan_lesson.widgets.stop_all() was called.")
    if wait:
        for d in asked:
            thread = d._thread
            if thread is not None and thread is not threading.current_thread():
                thread.join()
    return len(asked)


# --------------------------------------------------------------------------- checks

class _ChoiceError(TraitError, ValueError):
    """A selection widget was given a value it does not offer (a TraitError, as ipywidgets
    raises, and a ValueError, as the rest of the package raises)."""


class _NamedChoice:
    """A selection widget whose refusal names the control and lists what it offers."""

    _param = "value"

    @validate("value")
    def _validate_value(self, proposal):
        try:
            return super()._validate_value(proposal)
        except TraitError:
            listed = ", ".join(repr(v) for v in self._options_values)
            raise _ChoiceError(f"{self._param}.value must be one of {listed}; got {short_repr(proposal.value)}.") from None


class Dropdown(_NamedChoice, W.Dropdown):       # the same name: a saved notebook shows it in the text view
    pass


class ToggleButtons(_NamedChoice, W.ToggleButtons):
    pass


class _RangeError(_ChoiceError):
    """A slider was given a value outside its range (ipywidgets would silently clip it: a student
    who typed ``epochs.value = 20000`` would think they trained for 20000 epochs, not 5000)."""


def _number(x):
    """A number as a student would type it: 5 rather than 5.0, 1e-05 as it is."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return short_repr(x)


class _NamedRange:
    """A slider that refuses a value outside its range, naming the control, the value and the
    range; a value inside the range is handled exactly as ipywidgets handles it.

    The range is read when the value is set (not fixed at construction), so changing min or max
    still works; ipywidgets, when min or max changes, moves the value to the new bound itself,
    which is inside the range. ``_slack`` is a relative tolerance at the ends: the browser computes
    a log slider's value as base ** exponent, which can land a hair outside the range (10 ** -5
    as 9.999999999999999e-06); such a value is the end of the slider and is clipped to it.
    """

    _param = "value"
    _slack = 0.0

    def _range(self):
        return self.min, self.max

    @validate("value")
    def _validate_value(self, proposal):
        low, high = self._range()
        value = proposal.value
        if not (low - self._slack * abs(low) <= value <= high + self._slack * abs(high)):   # also refuses NaN
            raise _RangeError(f"{self._param}.value must be from {_number(low)} to {_number(high)}; "
                              f"got {_number(value)}.")
        return super()._validate_value(proposal)


class FloatLogSlider(_NamedRange, W.FloatLogSlider):    # the same name: a saved notebook shows it in the text view
    _slack = 1e-9

    def _range(self):
        return self.base ** self.min, self.base ** self.max


class IntSlider(_NamedRange, W.IntSlider):
    pass


class FloatSlider(_NamedRange, W.FloatSlider):
    pass


def _named(widget, name):
    widget._param = name
    return widget


def _control(setting, style, layout):
    """The dashboard control of a declared setting (gan_lesson.recipes.SETTINGS): a menu of its
    choices, or a slider over its declared range (log-scaled, or whole numbers, as declared).
    Its starting value is the low end; the dashboard then sets it from a recipe or preset."""
    c = setting.control
    common = dict(description=c.label, style=style, layout=layout)
    if isinstance(c, Menu):
        widget = Dropdown(options=list(setting.choices), **common)
    elif c.log:
        widget = FloatLogSlider(value=c.low, base=10, min=math.log10(c.low), max=math.log10(c.high), step=c.step,
                                readout_format=".1e", continuous_update=False, **common)
    elif isinstance(setting.accepts, Whole):
        widget = IntSlider(value=c.low, min=c.low, max=c.high, step=c.step, continuous_update=False, **common)
    else:
        widget = FloatSlider(value=c.low, min=c.low, max=c.high, step=c.step, continuous_update=False, **common)
    return _named(widget, setting.name)


def _check_sample(target, what="target", generator=None):
    """``REFERENCE_SIZE`` real samples of ``target``, checked as ``fit`` checks them (the same
    messages); ``what`` names the target in them when it is not the ``target`` argument.

    One draw, from the target's own random numbers, as the dashboard always drew its first figure,
    or from ``generator`` (a ``torch.Generator``: a draw in a background thread must leave the
    notebook's random numbers alone)."""
    try:
        sample = draw(target, REFERENCE_SIZE, generator)
        if sample.shape[1] == 0:
            raise ValueError(f"target must return at least one column; target({REFERENCE_SIZE}) returned "
                             f"shape {tuple(sample.shape)}.")
        if not torch.isfinite(sample).all():
            raise ValueError(f"target returned NaN or infinite values (in a sample of {REFERENCE_SIZE}); "
                             "real samples must be finite numbers.")
        check_spread(sample)
    except (TypeError, ValueError) as exc:
        if what == "target":
            raise
        raise type(exc)(f"{what}: {exc}") from None
    return sample


def _custom_target(target):
    """``(name, sampler)`` for the dashboard's ``target`` argument, refused as ``fit`` refuses it."""
    if isinstance(target, type):
        raise TypeError(f"target must be a sampler, such as {target.__name__}() (an instance: note the "
                        f"brackets), or a function n -> tensor (n, d); got the class {target.__name__} itself.")
    if isinstance(target, (np.ndarray, torch.Tensor)):      # a data set, as fit accepts
        shape = tuple(target.shape)
        if len(shape) not in (1, 2) or shape[0] == 0 or (len(shape) == 2 and shape[1] == 0):
            raise ValueError(f"target as a data set must have shape (rows,) or (rows, dim) with at least one "
                             f"row and column; got a {type(target).__name__} of shape {shape}.")
        try:
            sampler = as_target(target)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"target: {exc}") from None
        name = f"custom: your data ({shape[0]} samples{'' if len(shape) < 2 else f', {shape[1]}-D'})"
        return name, sampler
    return f"custom: {target!r}"[:60], as_target(target)


def _check_targets(targets):
    """The ``targets`` argument as a dict of name -> function that makes the target."""
    if not isinstance(targets, Mapping):
        raise TypeError("targets must be a dict of name -> function that makes the target (like "
                        f"gan_lesson.widgets.TARGETS); got {short_repr(targets)} of type {type(targets).__name__}.")
    checked = {}
    for name, make in targets.items():
        if not isinstance(name, str):
            raise TypeError(f"targets must be named by strings; got the name {short_repr(name)}.")
        if isinstance(make, (samplers.Sampler, np.ndarray, torch.Tensor)):   # the target itself: fine too
            try:
                sampler = as_target(make)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"targets[{name!r}]: {exc}") from None
            make = (lambda t=sampler: t)
        elif not callable(make):
            raise TypeError(f"targets[{name!r}] must be a function that makes the target (e.g. lambda: "
                            f"gan_lesson.samplers.Gaussian(0, 1)), a sampler or a data set; got {short_repr(make)}.")
        checked[name] = make
    return checked


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
    ``dash.results`` the last five runs (``KEEP_RUNS``; older ones are let go).

    ``target``: your own target, as ``fit`` takes it (a sampler, a function n -> tensor (n, d), or
    a data set), checked at once and listed first in the target menu; ``preset``: the preset to
    start from (default: the first, ``"modern recipe"``); ``background``: train in a thread (True)
    or in the calling thread; ``redraw_every``: the shortest time between two pictures while
    training, in seconds (the live view also never takes more than 6 % of the run's CPU time);
    ``presets``/``targets``: your own menus, in the form of ``PRESETS`` and ``TARGETS``.
    """

    def __init__(self, target=None, *, preset=None, background=True, redraw_every=0.15,
                 presets=None, targets=None):
        # every argument is checked before anything else happens (a typo stops no other run)
        self.background = check_bool("background", background)
        self.redraw_every = check_number("redraw_every", redraw_every, low=0)
        self.targets = _check_targets(TARGETS if targets is None else targets)
        self._samples = {}          # target name -> a checked sample, drawn once
        if target is not None:
            name, target = _custom_target(target)
            self._samples[name] = _check_sample(target)
            self.targets = {name: (lambda t=target: t), **self.targets}
        if not self.targets:
            raise ValueError("targets must name at least one target (or give target=...); got an empty dict.")
        if presets is None:     # the built-in presets, less those about a target this dashboard lacks
            self.presets = {k: p for k, p in PRESETS.items() if p.get("target", None) in (None, *self.targets)}
        else:
            self.presets = dict(presets) if isinstance(presets, Mapping) else presets
        check_presets(self.presets, self.targets)
        preset = next(iter(self.presets)) if preset is None else preset   # the first: "modern recipe"
        check_choice("preset", preset, tuple(self.presets))

        self.result, self.results = None, []
        self.frames = 0
        self._thread, self._stop, self._last_draw, self._last_coach = None, False, 0.0, 0.0
        self._view, self._view_for = None, None    # the live view, and the (target, epochs) it was made for
        self._view_lock = threading.Lock()         # one thread at a time draws it (a run, or its preparation)
        self._preparer, self._prepare_pending = None, False
        self._drawing, self._run_started = 0.0, 0.0
        self._active = False        # a run is going (in a thread or in the calling thread)
        self._stop_reason = None    # why another dashboard (or stop_all) stopped this one's run
        self._lock = threading.RLock()
        self.diagnosis = None
        self._target = None
        self._changes = {}
        _others_stop(self, "This run was stopped because a new dashboard was created "
                           "(one dashboard trains at a time).")

        style = {"description_width": "120px"}
        wide = W.Layout(width="420px")
        self.preset = _named(Dropdown(options=list(self.presets), description="preset", style=style,
                                       layout=wide), "preset")
        self.target = _named(Dropdown(options=list(self.targets), description="target (real data)", style=style,
                                       layout=wide), "target")
        self.recipe = _named(ToggleButtons(options=list(RECIPES), description="recipe", style=style), "recipe")
        def control(name):           # each made from its setting's declaration: range, scale, choices
            return _control(_declared(name), style, wide)
        self.lr_d, self.lr_g, self.epochs = control("lr_d"), control("lr_g"), control("epochs")
        self.d_steps, self.g_steps, self.seed = control("d_steps"), control("g_steps"), control("seed")
        self.loss, self.features = control("loss"), control("features")
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
        for w in (self.target, self.epochs):
            w.observe(self._prepare_later, names="value")

        self._apply_preset(self.presets[preset])
        self.preset.value = preset

        left = W.VBox([self.preset, self.target, self.recipe, self.lr_d, self.lr_g, self.epochs])
        right = W.VBox([self.d_steps, self.g_steps, self.seed, self.loss, self.features, self.estimate])
        buttons = W.HBox([self.train_button, self.stop_button, self.progress])
        self.widget = W.VBox([W.HBox([left, right]), buttons, self.status, self.coach, self.image,
                              W.HBox([self.scrubber, self.compare]), self.stats])
        self._draw_empty()
        with _REGISTRY_LOCK:
            _DASHBOARDS.add(self)
        self._prepare_later()

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
        for name in _CONTROLS:
            if name in preset:
                getattr(self, name).value = preset[name]
        self._update_estimate()

    def _reset_to_recipe(self, name):
        """Every control of a recipe setting to that recipe's value (a slider's end when the value
        is beyond it: the classic recipe's 5001 epochs show as the slider's 5000)."""
        r = RECIPES[name]
        for setting in (SETTINGS[n] for n in _CONTROLS if n in SETTINGS):
            value, control = getattr(r, setting.name), setting.control
            if not isinstance(control, Menu):
                value = min(max(value, control.low), control.high)
            getattr(self, setting.name).value = value

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
        return {"recipe": recipe, **{n: getattr(self, n).value for n in _CONTROLS}}

    def fit_call(self):
        """The ``fit`` call that reproduces the next run (printed, for copying into a cell)."""
        shown = {"recipe": self.recipe.value, **{n: getattr(self, n).value for n in _CONTROLS}}
        args = ", ".join(f"{k}={v!r}" if not isinstance(v, float) else f"{k}={v:.3g}" for k, v in shown.items())
        if self._changes:
            changes = ", ".join(f"{k}={v!r}" for k, v in self._changes.items())
            args = args.replace(f"recipe={self.recipe.value!r}",
                                f"recipe=gan_lesson.RECIPES[{self.recipe.value!r}].replace({changes})")
        return f"gan_lesson.fit(target, {args})"

    # ------------------------------------------------------------------ running
    def train(self, blocking=None):
        """Start a run with the current settings (in a thread unless ``blocking`` or ``background=False``).

        Any other dashboard's run is asked to stop first (one dashboard trains at a time)."""
        blocking = (not self.background) if blocking is None else check_bool("blocking", blocking)
        with self._lock:
            if self.running:
                self.status.value = "A run is already going; press <b>Stop</b> first."
                return
            self._active = True
            self._stop, self._stop_reason = False, None
        try:
            _others_stop(self, "This run was stopped because another dashboard started training "
                               "(one dashboard trains at a time).")
            self.train_button.disabled, self.stop_button.disabled = True, False
            self.scrubber.disabled = self.compare.disabled = True
            self.progress.max, self.progress.value = self.epochs.value, 0
            self.progress.bar_style = ""
            self.status.value = f"Training… ({_fmt_seconds(estimate_seconds(self.recipe.value, self.epochs.value, self.d_steps.value, self.g_steps.value, self.loss.value))})"
            if blocking:
                self._run(reraise=True)
            else:
                self._thread = threading.Thread(target=self._run, kwargs={"reraise": False}, daemon=True)
                self._thread.start()
        except BaseException as exc:
            # failed (or interrupted) before the run took over: the run's own ending never came
            if self._active and not (self._thread is not None and self._thread.is_alive()):
                self._end(self._failure_html(exc, "Could not start the run"), "danger")
            raise

    @property
    def running(self):
        """Whether a run is going (in a background thread, or in the calling thread)."""
        return self._active or (self._thread is not None and self._thread.is_alive())

    def wait(self, timeout=None):
        """Block until a background run ends, and the live view is ready for the next run (for tests
        and scripts); ``timeout`` in seconds bounds each of the two waits. Returns ``self.result``."""
        for thread in (self._thread, self._preparer):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout)
        preparer = self._preparer       # the run's end may have started a preparation
        if preparer is not None and preparer is not threading.current_thread():
            preparer.join(timeout)
        return self.result

    def stop(self):
        """Ask the running training to stop at its next record; it keeps what it trained."""
        with self._lock:
            if not self._active:
                self.status.value = "Nothing is running."
                return
            self._stop = True
            self.status.value = "Stopping…"

    def _request_stop(self, reason):
        """Stop this dashboard's run for ``reason`` (another dashboard's doing); False if none is going."""
        with self._lock:
            if not self._active:
                return False
            if not self._stop:          # a Stop already pressed keeps its own message
                self._stop, self._stop_reason = True, reason
                self.status.value = f"Stopping… {html.escape(reason)}"
            return True

    def _run(self, reraise):
        """The run itself: whatever happens, it ends with the controls given back (``_end``).

        Errors are reported in the status; a KeyboardInterrupt (or another BaseException) too,
        and then raised again if ``reraise`` (the calling thread), never in a background thread.
        """
        started = time.perf_counter()
        self._last_draw = 0.0
        status, style, error, result = None, "danger", None, None
        try:
            with self._view_lock:       # waits for a preparation of the live view under way
                name = self.target.value
                self._target = self.targets[name]()
                self._ready_view(self._target, name)
                self._drawing, self._run_started = 0.0, time.thread_time()
                result = fit(self._target, callback=self._on_progress, progress=False, **self.settings())
                self.result = result
                self.results.append(result)
                del self.results[:-KEEP_RUNS]       # the older runs are let go: memory stays flat
                status, style = self._show(result, started)
        except Exception as exc:  # keep the dashboard alive and say what happened
            if result is not None:
                status = self._failure_html(exc, f"The run ended ({result.status}; kept in <code>.result</code>), "
                                                 "but showing it failed", escape_what=False)
            elif isinstance(exc, (ValueError, TypeError)):
                status = (f"<span style='color:#b00'>Cannot train with these settings: "
                          f"{html.escape(str(exc))}</span>")
            else:
                status = self._failure_html(exc, "Training failed")
        except KeyboardInterrupt as exc:
            error, style = exc, "warning"
            if result is None:
                status = ("<b>interrupted</b> before the run returned a result (KeyboardInterrupt): this run "
                          "kept nothing, and <code>.result</code> is unchanged. Press <b>Train</b> to start again.")
            else:
                status = (f"<b>interrupted</b> while the result was drawn (KeyboardInterrupt); the run itself "
                          f"{html.escape(result.status)} and is kept in <code>.result</code>.")
        except BaseException as exc:
            error = exc
            status = self._failure_html(exc, "Training failed")
        finally:
            if status is None:        # unreachable: every exception is handled above
                status = "<span style='color:#b00'>Training ended unexpectedly.</span>"
            self._end(status, style)
        self._prepare_later()
        if error is not None and reraise:
            raise error

    def _show(self, result, started):
        """Draw a finished run's result; returns its status line and the progress bar's colour."""
        if len(result.history) and result.snapshots:
            self._say(diagnose(result.history, reference=result.reference, samples=result.snapshots[-1][1],
                               loss=result.recipe.loss, status=result.status))
        self._draw_result(len(result.snapshots) - 1)
        self.stats.value = self._stats_html(result)
        colour = {"finished": "success", "diverged": "danger"}.get(result.status, "warning")
        took = time.perf_counter() - started
        status = (f"<b>{result.status}</b>: {html.escape(result.message)} "
                  f"(wall time {took:.1f} s, of which training {result.seconds:.1f} s)")
        if result.status == "stopped" and self._stop_reason:
            status += f"<br><i>{html.escape(self._stop_reason)}</i>"
        if result.snapshots:
            self.scrubber.max = len(result.snapshots) - 1
            self.scrubber.unobserve(self._on_scrub, names="value")
            self.scrubber.value = self.scrubber.max
            self.scrubber.observe(self._on_scrub, names="value")
        return status, colour

    @staticmethod
    def _failure_html(exc, what, escape_what=True):
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        what = html.escape(what) if escape_what else what
        return f"<span style='color:#b00'>{what}: {html.escape(text)}</span>"

    def _end(self, status, style):
        """End a run, however it went: say how, and give the controls back."""
        with self._lock:
            self._active = False
            try:
                self.progress.bar_style = style
                self.status.value = status
                self.scrubber.disabled = not (self.result is not None and self.result.snapshots)
                self.compare.disabled = len(self.results) < 2
            finally:
                self._finish()

    def _finish(self):
        self.train_button.disabled, self.stop_button.disabled = False, True

    def _on_progress(self, state):
        self.progress.value = state.epoch
        now, cpu = time.perf_counter(), time.thread_time()
        # a new picture once redraw_every has passed, as long as drawing stays within its share of the
        # run's CPU time (the CPU time of this thread: on a busy machine wall time would let it grow)
        if state.epoch == 0 or (now - self._last_draw >= self.redraw_every
                                and self._drawing <= _VIEW_SHARE * (cpu - self._run_started)):
            self._show_image(self._view.frame(state.history, state.samples, f"epoch {state.epoch} of {state.epochs}"),
                             "jpeg")
            self._last_draw = time.perf_counter()
            self._drawing += time.thread_time() - cpu
        self._after_record(state)
        return not self._stop

    def _after_record(self, state):
        """The coach reads the record and says what is happening (at most once a second)."""
        now = time.perf_counter()
        if state.epoch and now - self._last_coach < 1.0 and state.epoch != state.epochs:
            return
        self._last_coach = now
        self._say(diagnose(state.history, reference=state.reference, samples=state.samples,
                           loss=state.recipe.loss))

    def _say(self, diagnosis):
        self.diagnosis = diagnosis
        self.coach.value = diagnosis.html()

    # ------------------------------------------------------------------ drawing
    def _ready_view(self, target, name, generator=None):
        """Make the live view ready for a run on ``target`` (the view lock held): the one made for
        this target and number of epochs, emptied, or a new one; either way drawn now, before the
        run's clock starts, so that each picture during the run draws only what moves. A new view's
        real samples come from a generator of its own (a sampler uses it; a plain function draws as
        it always does): the view is readied in the run's thread or a thread of its own, while the
        notebook may be drawing random numbers from PyTorch's global generator. ``name`` is the
        menu entry ``target`` was made from: read once by the caller, since the menu may change
        meanwhile (a preset chosen from the notebook while this view is being made)."""
        key = (name, self.epochs.value)
        if self._view is None or self._view_for != key:
            generator = torch.Generator().manual_seed(0) if generator is None else generator
            reference = _check_sample(target, f"targets[{key[0]!r}]", generator)    # a bad target: fit's own message
            self._view, self._view_for = plots.LiveView(target, reference, key[1]), key
        if not self._view.fresh:
            self._view.reset()
            self._view.prepare()

    def _prepare_later(self, _=None):
        """In a background dashboard, ready the live view for the next run in a thread of its own
        (after a run, and when the target or the number of epochs changes), so that the first
        picture after Train comes at once; a run that starts meanwhile waits for it."""
        if not self.background:
            return
        with self._lock:
            self._prepare_pending = True
            if self._preparer is not None and self._preparer.is_alive():
                return              # the thread at work takes this request too
            self._preparer = threading.Thread(target=self._prepare, daemon=True, name="gan_lesson live view")
            self._preparer.start()

    def _prepare(self):
        while True:
            with self._lock:
                if not self._prepare_pending:
                    self._preparer = None
                    return
                self._prepare_pending = False
            with self._view_lock:
                try:
                    name = self.target.value
                    target = self.targets[name]()
                    if not isinstance(target, samplers.Sampler):
                        continue    # only a sampler draws from a generator of its own; the run readies this view
                    # this thread must not draw from PyTorch's global generator: the notebook draws from it meanwhile
                    self._ready_view(target, name, generator=torch.Generator().manual_seed(0))
                except Exception:  # noqa: BLE001 - the run makes its own view, and reports what fails
                    self._view = None

    def _draw(self, history, samples, reference, epochs, title, previous=None):
        panels = plots.dashboard_figure(history, samples, self._target, reference, epochs=epochs,
                                        title=title, standalone=True)
        if previous is not None and len(previous.history):
            ax = panels["distance"]
            panels.lines["distance"].set_label("this run")
            ax.plot(previous.history.epoch, previous.history.distance, color="black", ls="--", lw=1.5,
                    label="previous run")
            ax.legend(fontsize=9)
            prev = previous.snapshots[-1][1].numpy() if previous.snapshots else None
            ax = panels["samples"]
            if prev is not None and prev.shape[1] == 1 and np.asarray(samples).shape[1] == 1:
                edges = np.linspace(*ax.get_xlim(), 51)
                ax.stairs(np.histogram(prev[:, 0], edges, density=True)[0], edges, color="black", lw=1.5,
                          label="previous run")
                ax.legend(loc="upper right", fontsize=9)
            elif prev is not None and prev.shape[1] >= 2:
                # under the real points and this run's (zorder), and light: the real cloud stays visible
                ax.scatter(prev[:, 0], prev[:, 1], s=2, color="black", alpha=0.2, label="previous run", zorder=0.5)
                ax.legend(loc="upper left", fontsize=9, markerscale=3)
        self._show_image(plots.figure_png(panels), "png")

    def _show_image(self, data, format):
        """Put a new picture in the figure widget, in place (no flicker): the live view's frames
        are JPEG (fast to encode), the pictures that stay are PNG; format and picture go together."""
        with self.image.hold_sync():
            self.image.format = format
            self.image.value = data
        self.frames += 1

    def _draw_empty(self):
        name = self.target.value
        target = self.targets[name]()
        self._target = target
        real = self._samples.pop(name, None)
        if real is None:
            real = _check_sample(target, f"targets[{name!r}]")
        self._samples.clear()
        self._draw(History(), None, real.numpy(), self.epochs.value, "before training: the target")
        self.frames = 0

    def _draw_result(self, index):
        r = self.result
        epoch, samples = r.snapshots[index]
        h = History.from_dict({k: v[:index + 1] for k, v in r.history.as_dict().items()})
        prev = self.results[-2] if (self.compare.value and len(self.results) > 1) else None
        # how the run ended belongs to its last snapshot; an earlier one is a moment of the run
        title = (f"snapshot at epoch {epoch} ({r.status})" if index == len(r.snapshots) - 1
                 else f"snapshot at epoch {epoch} of {r.epochs_done} (scrubbed back)")
        self._draw(h, samples, r.reference, r.recipe.epochs, title, prev)

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
