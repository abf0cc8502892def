"""The figures every notebook reuses, with one colour for each role.

``REAL`` is always real data (and the target's density), ``FAKE`` always generated data,
``BELIEF`` always the discriminator's opinion. Call ``use_style()`` once at the top of a notebook
for sizes that read well on a projector. Every figure has an opaque white background (``OPAQUE``),
so that its black text stays readable in JupyterLab's dark theme. Every function draws into ``ax`` (or new axes when
``ax`` is None) and returns the axes or figure, titled and labelled; ``dashboard_figure`` returns
its panels by name (``Panels``), so code that adds to a panel asks for it by name.
"""
import functools
import io
import sys

import matplotlib
import matplotlib.figure
import matplotlib.patches
import matplotlib.ticker
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

__all__ = ["REAL", "FAKE", "BELIEF", "NOISE", "LOSS_D", "LOSS_G", "RUNS", "use_style", "histogram",
           "training_curves", "scatter_2d", "dashboard_figure", "Panels", "figure_png", "LiveView", "OPAQUE", "snapshot_strip",
           "gan_diagram", "diagram_box", "diagram_arrow", "plain_log_ticks", "gradient_panels", "distance_curves", "seed_outcomes", "stability_heatmap"]

REAL = "#0072B2"     # blue: real data, the target
FAKE = "#E69F00"     # orange: generated data, the generator
BELIEF = "#009E73"   # green: the discriminator's belief P(real)
NOISE = "#7F7F7F"    # grey: the generator's input noise
LOSS_D = BELIEF
LOSS_G = FAKE

#: An opaque white background for every figure, on screen and saved. Matplotlib's own default,
#: but the notebook's inline backend may set a transparent one (its ``InlineBackend.rc``, applied
#: when the backend loads or ``%matplotlib inline`` runs): black text on a transparent figure
#: vanishes in JupyterLab's dark theme.
OPAQUE = {"figure.facecolor": "white", "figure.edgecolor": "white", "savefig.facecolor": "white",
          "savefig.edgecolor": "white", "savefig.transparent": False}

STYLE = {
    "figure.figsize": (8, 4.5), "figure.dpi": 90, "font.size": 12, "axes.titlesize": 13,
    "axes.labelsize": 12, "legend.fontsize": 11, "lines.linewidth": 2.0, "axes.grid": True,
    "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False, **OPAQUE,
}


def _opaque_figures():
    """Make every figure opaque from now on, whatever loads after: matplotlib's settings now, and
    the inline backend's own settings too when this runs in IPython, so that the backend (loaded
    with the first figure, or again by ``%matplotlib inline``) applies the white background
    instead of undoing it."""
    matplotlib.rcParams.update(OPAQUE)
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is None:
        return
    try:
        from matplotlib_inline.config import InlineBackend
    except ImportError:       # an IPython without the inline backend: nothing can undo the settings
        return
    settings = InlineBackend.instance(parent=shell)
    settings.rc = {**settings.rc, **OPAQUE}


_opaque_figures()


class _PlainLog(matplotlib.ticker.Formatter):
    """Tick labels of a log axis as plain numbers (0.3, 2, 10) instead of 3×10⁻¹: the default
    formatter still decides which ticks get a label."""

    def __init__(self, inner):
        self.inner = inner

    def set_axis(self, axis):
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs):
        self.inner.set_locs(locs)

    def __call__(self, x, pos=None):
        return f"{x:g}" if self.inner(x, pos) else ""


def plain_log_ticks(ax, which="y"):
    """Label the log-scaled ``which`` axis ("x" or "y") of ``ax`` with plain numbers; returns ``ax``."""
    if which not in ("x", "y"):
        raise ValueError(f"which must be 'x' or 'y'; got {which!r}.")
    axis = ax.yaxis if which == "y" else ax.xaxis
    if not isinstance(axis.get_major_formatter(), _PlainLog):
        axis.set_major_formatter(_PlainLog(axis.get_major_formatter()))
        axis.set_minor_formatter(_PlainLog(axis.get_minor_formatter()))
    return ax


def use_style():
    """Projector-friendly sizes for every figure that follows (call once per notebook)."""
    matplotlib.rcParams.update(STYLE)


def _np(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=float)


def _axes(ax, figsize=(7, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def histogram(samples, target=None, ax=None, *, bins=60, title="Generated samples against the target",
              label="generated", xlim=None, real=None, color=FAKE):
    """Density histogram of 1-D ``samples`` (n,) or (n, 1), with the target's density curve.

    ``target``: a sampler with a ``pdf`` (drawn as a line) — or pass ``real`` samples to draw them
    as a second histogram. ``color``: FAKE (default) for generated samples; REAL or NOISE when
    the histogram shows real data or noise.
    """
    ax = _axes(ax)
    _histogram(ax, samples, target, bins=bins, title=title, label=label, xlim=xlim, real=real, color=color)
    return ax


def _histogram(ax, samples, target, *, bins, title, label, xlim, real, color):
    """``histogram`` drawn into ``ax``; returns what it drew by name: "histogram" (``samples``),
    and "real" and "target density" when drawn."""
    drawn = {}
    x = _np(samples).ravel()
    x = x[np.isfinite(x)]
    lo, hi = xlim if xlim else _range(x, target, real)
    edges = np.linspace(lo, hi, bins + 1)
    if real is not None:   # stairs: one filled outline instead of a patch per bar (fast to redraw)
        drawn["real"] = ax.stairs(np.histogram(_np(real).ravel(), edges, density=True)[0], edges, fill=True,
                                  color=REAL, alpha=0.35, label="real")
    drawn["histogram"] = ax.stairs(np.histogram(x, edges, density=True)[0], edges, fill=True, color=color,
                                   alpha=0.6, label=label)
    if target is not None and hasattr(target, "pdf"):
        grid = np.linspace(lo, hi, 400)
        drawn["target density"], = ax.plot(grid, target.pdf(grid), color=REAL, label="target density")
    ax.set(title=title, xlabel="value x", ylabel="density", xlim=(lo, hi))
    ax.legend(loc="upper right")
    return drawn


def _range(x, target, real):
    parts = [x]
    if real is not None:
        parts.append(_np(real).ravel())
    if target is not None and hasattr(target, "mean") and hasattr(target, "std"):
        m, s = float(target.mean), float(target.std)
        parts.append(np.array([m - 4 * s, m + 4 * s]))
    allx = np.concatenate([p[np.isfinite(p)] for p in parts])
    lo, hi = np.percentile(allx, [0.2, 99.8]) if len(allx) > 10 else (allx.min(), allx.max())
    if target is not None and hasattr(target, "mean"):
        m, s = float(target.mean), float(target.std)
        lo, hi = min(lo, m - 3.5 * s), max(hi, m + 3.5 * s)
    pad = 0.05 * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


def training_curves(history, axes=None, *, epochs=None):
    """Three panels from a ``History``: the losses, D(x) and D(G(z)), the distance to the target."""
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    _training_curves(history, axes, epochs)
    return axes


def _training_curves(history, axes, epochs):
    """``training_curves`` drawn into three ``axes``; returns its lines by the name of the
    ``History`` column each draws: "loss_d", "loss_g", "d_real", "d_fake", "distance"."""
    ep = np.asarray(history.epoch)
    a_loss, a_d, a_dist = axes
    lines = {}
    lines["loss_d"], = a_loss.plot(ep, history.loss_d, color=LOSS_D, label="D loss")
    lines["loss_g"], = a_loss.plot(ep, history.loss_g, color=LOSS_G, label="G loss")
    a_loss.set(title="Losses (watch the trend, not the value)", xlabel="epoch", ylabel="loss")
    a_loss.legend()
    lines["d_real"], = a_d.plot(ep, history.d_real, color=REAL, label="D(x), real")
    lines["d_fake"], = a_d.plot(ep, history.d_fake, color=FAKE, label="D(G(z)), fake")
    a_d.axhline(0.5, color="black", lw=1, ls="--", label="0.5: D cannot tell")
    a_d.set(title="What D believes", xlabel="epoch", ylabel="mean P(real)")
    if all(0 <= v <= 1 for v in list(history.d_real) + list(history.d_fake) if np.isfinite(v)):
        a_d.set_ylim(-0.02, 1.02)
    a_d.legend(fontsize=9)
    dist = np.asarray(history.distance, dtype=float)
    lines["distance"], = a_dist.plot(ep, dist, color=FAKE)
    finite = dist[np.isfinite(dist)]
    if len(finite) and finite.min() > 0 and finite.max() / finite.min() > 5:   # log only when it spans a range
        a_dist.set_yscale("log")
        plain_log_ticks(a_dist)
    a_dist.set(title="Distance to the target (W1)", xlabel="epoch", ylabel="Wasserstein-1")
    if epochs:
        for a in axes:
            a.set_xlim(0, epochs)
    return lines


def scatter_2d(real=None, fake=None, ax=None, *, title="Real and generated points", size=6, lim=None):
    """Scatter of 2-D real (blue) and generated (orange) points ``(n, 2)``, equal axes.

    ``lim``: ``((x_low, x_high), (y_low, y_high))`` in data units, kept exactly (the axes box
    takes the shape that equal axes need); None fits the limits to the points.
    """
    if lim is not None:
        lim = _limits(lim)
    ax = _axes(ax, (5.5, 5))
    _scatter_2d(ax, real, fake, title=title, size=size, lim=lim)
    return ax


def _limits(lim):
    """``lim`` as ((x_low, x_high), (y_low, y_high)) floats, or a ValueError naming what is wrong."""
    accepted = "((x_low, x_high), (y_low, y_high)) with each low below its high, or None"
    try:
        (x0, x1), (y0, y1) = lim
        x0, x1, y0, y1 = (float(v) for v in (x0, x1, y0, y1))
    except (TypeError, ValueError):
        raise ValueError(f"lim must be {accepted}; got {lim!r}.") from None
    if not all(np.isfinite((x0, x1, y0, y1))) or x0 >= x1 or y0 >= y1:
        raise ValueError(f"lim must be {accepted}; got {lim!r}.")
    return (x0, x1), (y0, y1)


def _scatter_2d(ax, real, fake, *, title, size, lim):
    """``scatter_2d`` drawn into ``ax``; returns the point clouds it drew: "real", "generated"."""
    drawn = {}
    if real is not None:
        r = _np(real)
        drawn["real"] = ax.scatter(r[:, 0], r[:, 1], s=size, color=REAL, alpha=0.45, label="real")
    if fake is not None:
        f = _np(fake)
        drawn["generated"] = ax.scatter(f[:, 0], f[:, 1], s=size, color=FAKE, alpha=0.45, label="generated")
    ax.set(title=title, xlabel="x₁", ylabel="x₂")
    if lim:       # fixed limits: the box adapts (adjusting the data limits would move the x limits)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlim(*lim[0])
        ax.set_ylim(*lim[1])
    else:
        ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="upper left", markerscale=3)
    return drawn


class Panels:
    """A figure's panels by name and what is drawn in them by name.

    ``panels["distance"]`` is the Axes of the distance panel; ``panels.lines["distance"]`` is
    the line drawn in it; ``panels.figure`` is the figure (``figure_png(panels)`` renders it).
    """

    def __init__(self, figure, axes, lines):
        self.figure, self.axes, self.lines = figure, dict(axes), dict(lines)

    def __getitem__(self, name):
        if name not in self.axes:
            raise KeyError(f"no panel named {name!r}; the panels are {', '.join(map(repr, self.axes))}.")
        return self.axes[name]

    def __iter__(self):
        return iter(self.axes)

    def __repr__(self):
        return f"Panels({', '.join(self.axes)}; lines: {', '.join(self.lines)})"


def dashboard_figure(history, samples, target=None, reference=None, *, epochs=None, title=None,
                     standalone=False):
    """The dashboard's four panels, returned by name as ``Panels``: "samples" (generated
    samples against the target), "losses", "beliefs" (D(x) and D(G(z))) and "distance".

    ``history``: a ``History``; ``samples``: generated samples ``(n, d)`` (None before training:
    the target alone); ``reference``: real samples ``(n, d)``; ``target``: the sampler (its
    ``pdf``, when it has one, is drawn in 1-D). The lines by name: "generated" (histogram or
    points), "real" (the same for real samples, when drawn), "target density", and one line
    per ``History`` column drawn: "loss_d", "loss_g", "d_real", "d_fake", "distance".
    ``standalone=True`` builds the figure outside pyplot (safe from a background thread; render
    it with ``figure_png``).
    """
    if standalone:
        fig = matplotlib.figure.Figure(figsize=(16, 3.7))
        axes = fig.subplots(1, 4)
    else:
        fig, axes = plt.subplots(1, 4, figsize=(16, 3.7))
    panels = dict(zip(("samples", "losses", "beliefs", "distance"), axes))
    ax = panels["samples"]
    s = None if samples is None else _np(samples)
    dim = (s if s is not None else _np(reference)).shape[1]
    if dim == 1 and s is None:     # nothing generated yet: the target alone
        drawn = _histogram(ax, _np(reference).ravel(), None, bins=50, title="The target", label="real samples",
                           xlim=None, real=None, color=REAL)
        lines = {"real": drawn["histogram"]}
        if hasattr(target, "pdf"):
            lo, hi = ax.get_xlim()
            grid = np.linspace(lo, hi, 300)
            lines["target density"], = ax.plot(grid, target.pdf(grid), color=REAL, label="target density")
            ax.legend(loc="upper right")
    elif dim == 1:
        drawn = _histogram(ax, s, target if hasattr(target, "pdf") else None, bins=50, title="Generated vs target",
                           label="generated", xlim=None, real=None if hasattr(target, "pdf") else reference,
                           color=FAKE)
        lines = {"generated": drawn.pop("histogram"), **drawn}
    else:
        lines = None
    if dim == 1:
        # headroom above the tallest bar or curve, so the legend sits over no peak
        ax.set_ylim(0, 1.4 * ax.get_ylim()[1])
        ax.legend(loc="upper right", fontsize=9)
    if lines is None:
        lines = _scatter_2d(ax, reference, s, title="Generated vs real", size=3, lim=None)
    lines.update(_training_curves(history, axes[1:], epochs))
    if title:
        fig.suptitle(title, fontsize=13)
    # fixed margins: tight_layout would cost a third of the drawing time at every live redraw
    fig.subplots_adjust(left=0.045, right=0.99, bottom=0.16, top=0.84 if title else 0.9, wspace=0.3)
    return Panels(fig, panels, lines)


def figure_png(fig, dpi=72):
    """Render a figure (or ``Panels``) to PNG bytes and close it (for image widgets)."""
    if isinstance(fig, Panels):
        fig = fig.figure
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    if plt.fignum_exists(fig.number if hasattr(fig, "number") else -1):
        plt.close(fig)
    return buf.getvalue()


def _jpeg(canvas, quality=90):
    """The canvas's last drawing as JPEG bytes: ~1 ms for the dashboard's 1152 × 266 pixels, where a
    PNG takes ~7 ms. No chroma subsampling, so that thin coloured lines and text stay sharp."""
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBX", (width, height), canvas.buffer_rgba(), "raw", "RGBX", 0, 1)  # opaque: no alpha
    buf = io.BytesIO()
    image.save(buf, format="jpeg", quality=quality, subsampling=0)
    return buf.getvalue()


class LiveView:
    """The dashboard's four panels while a run trains, updated in place several times a second.

    ``dashboard_figure`` builds a new figure for every picture (0.1–0.3 s of drawing each). A
    LiveView builds its figure once, when the run starts, and then each ``frame`` draws only what
    moves (the curves, the generated samples and the title) over a saved picture of everything
    else (axes, ticks, labels, legends, the target), and encodes it as a JPEG: ~6 ms in all.
    When a curve leaves its panel, that panel's limits grow (with room to spare) and the figure is
    drawn in full once more (``full_draws`` counts those); the samples panel keeps its limits.
    ``reset()`` readies it for another run of the same target and length.

    ``target``: the sampler (its ``pdf``, when it has one, is drawn in 1-D); ``reference``: real
    samples ``(n, d)``; ``epochs``: the run's length (the x axis of the curves). Panels and lines
    carry ``dashboard_figure``'s names: ``view.panels["losses"]``, ``view.lines["distance"]``.
    Only one thread may use a LiveView (matplotlib's figures are not thread-safe).
    """

    #: The ``History`` columns drawn as curves, each the name of its line.
    CURVES = ("loss_d", "loss_g", "d_real", "d_fake", "distance")
    _ROOM = 0.3          # a widened linear panel leaves at least this share of the data's span free on each side

    def __init__(self, target, reference, epochs, *, dpi=72):
        ref = _np(reference)
        ref = ref[:, None] if ref.ndim == 1 else ref
        self.dim, self.epochs = ref.shape[1], max(int(epochs), 1)
        self.figure = matplotlib.figure.Figure(figsize=(16, 3.7), dpi=dpi, facecolor="white", edgecolor="white")
        self.canvas = FigureCanvasAgg(self.figure)
        self.panels = dict(zip(("samples", "losses", "beliefs", "distance"), self.figure.subplots(1, 4)))
        self.lines, self.full_draws, self.frames = {}, 0, 0
        self._background, self._empty = None, True
        self._samples_panel(target, ref)
        self._curve_panels()
        self.title = self.figure.suptitle(" ", fontsize=13)
        self.figure.subplots_adjust(left=0.045, right=0.99, bottom=0.16, top=0.84, wspace=0.3)
        # drawn at every frame, in this order: the target's density over the generated histogram
        self._moving = [self.lines[name] for name in ("generated", "target density", *self.CURVES) if name in self.lines]
        self._moving.append(self.title)
        self._first_limits = {name: self.panels[name].get_ylim() for name in ("losses", "beliefs", "distance")}
        for artist in self._moving:
            artist.set_animated(True)       # left out of the saved picture, drawn at every frame

    def _samples_panel(self, target, ref):
        ax = self.panels["samples"]
        if self.dim == 1:
            x = ref[:, 0][np.isfinite(ref[:, 0])]
            density = target if hasattr(target, "pdf") else None
            lo, hi = _range(x, density, None)
            self._edges = np.linspace(lo, hi, 51)
            tops = []
            if density is None:         # no formula: the real samples as a histogram
                real = np.histogram(x, self._edges, density=True)[0]
                self.lines["real"] = ax.stairs(real, self._edges, fill=True, color=REAL, alpha=0.35, label="real")
                tops.append(real.max())
            self.lines["generated"] = ax.stairs(np.zeros(len(self._edges) - 1), self._edges, fill=True, color=FAKE,
                                                alpha=0.6, label="generated")
            if density is not None:
                grid = np.linspace(lo, hi, 400)
                pdf = np.asarray(target.pdf(grid), dtype=float)
                self.lines["target density"], = ax.plot(grid, pdf, color=REAL, label="target density")
                tops.append(np.nanmax(pdf))
            top = max(float(t) for t in tops) if tops and max(tops) > 0 else 1.0
            # room above the target for a generated histogram that is still too narrow
            ax.set(title="Generated vs target", xlabel="value x", ylabel="density", xlim=(lo, hi), ylim=(0, 1.6 * top))
            ax.legend(loc="upper right")
        else:
            self.lines["real"] = ax.scatter(ref[:, 0], ref[:, 1], s=3, color=REAL, alpha=0.45, label="real")
            self.lines["generated"] = ax.scatter(ref[:0, 0], ref[:0, 1], s=3, color=FAKE, alpha=0.45, label="generated")
            (x0, x1), (y0, y1) = (np.percentile(ref[:, k][np.isfinite(ref[:, k])], [0.5, 99.5]) for k in (0, 1))
            pad = 0.3 * max(x1 - x0, y1 - y0, 1e-6)
            ax.set(title="Generated vs real", xlabel="x₁", ylabel="x₂")
            ax.set_aspect("equal", adjustable="box")      # fixed limits: generated points leaving them leave the picture
            ax.set_xlim(x0 - pad, x1 + pad)
            ax.set_ylim(y0 - pad, y1 + pad)
            ax.legend(loc="upper left", markerscale=3)

    def _curve_panels(self):
        a_loss, a_d, a_dist = (self.panels[name] for name in ("losses", "beliefs", "distance"))
        self.lines["loss_d"], = a_loss.plot([], [], color=LOSS_D, label="D loss")
        self.lines["loss_g"], = a_loss.plot([], [], color=LOSS_G, label="G loss")
        a_loss.set(title="Losses (watch the trend, not the value)", xlabel="epoch", ylabel="loss", ylim=(0, 2))
        a_loss.legend(loc="upper right")
        self.lines["d_real"], = a_d.plot([], [], color=REAL, label="D(x), real")
        self.lines["d_fake"], = a_d.plot([], [], color=FAKE, label="D(G(z)), fake")
        a_d.axhline(0.5, color="black", lw=1, ls="--", label="0.5: D cannot tell")
        a_d.set(title="What D believes", xlabel="epoch", ylabel="mean P(real)", ylim=(-0.02, 1.02))
        a_d.legend(fontsize=9, loc="upper right")
        self.lines["distance"], = a_dist.plot([], [], color=FAKE)
        a_dist.set_yscale("log")
        plain_log_ticks(a_dist)
        a_dist.set(title="Distance to the target (W1)", xlabel="epoch", ylabel="Wasserstein-1", ylim=(0.02, 5))
        for ax in (a_loss, a_d, a_dist):
            ax.set_xlim(0, self.epochs)

    def _widen(self, name, columns, keep=None, log=False):
        """Widen panel ``name``'s y limits when a value of ``columns`` lies outside them, keeping the
        range ``keep`` in view; True if they changed (the figure must then be drawn in full)."""
        values = np.concatenate([np.asarray(c, dtype=float).ravel() for c in columns])
        values = values[np.isfinite(values) & ((values > 0) if log else True)]
        if not len(values):
            return False
        ax, lo, hi = self.panels[name], float(values.min()), float(values.max())
        low, high = ax.get_ylim()
        if low <= lo and hi <= high:
            return False
        if log:              # distances fall over a run: room for a fall to a quarter before the next widening
            low, high = min(low, lo / 4), max(high, hi * 2)
        else:
            room = max(self._ROOM * (hi - lo), 0.25 * max(abs(lo), abs(hi)), 0.1)
            low, high = min(low, lo - room), max(high, hi + room)
        if keep is not None:
            low, high = min(low, keep[0]), max(high, keep[1])
        ax.set_ylim(low, high)
        return True

    def _generated(self, samples):
        """Show the generated ``samples`` (n, d). The samples panel keeps its limits for the whole run
        (no redrawing of it): a 1-D histogram taller than the panel (a collapsed G) goes off its top."""
        s = _np(samples)
        s = s[:, None] if s.ndim == 1 else s
        if self.dim > 1:
            self.lines["generated"].set_offsets(s[:, :2])
            return
        x = s[:, 0][np.isfinite(s[:, 0])]
        counts = np.histogram(x, self._edges)[0]
        # a density of all the samples: those off the panel count too
        self.lines["generated"].set_data(counts / (max(len(x), 1) * np.diff(self._edges)))

    def reset(self):
        """Empty the panels and give them back their first limits, for a new run of the same
        target and length; the next ``frame`` draws the figure in full (``prepare`` does it now)."""
        for name in self.CURVES:
            self.lines[name].set_data([], [])
        if self.dim > 1:
            self.lines["generated"].set_offsets(np.zeros((0, 2)))
        else:
            self.lines["generated"].set_data(np.zeros(len(self._edges) - 1))
        for name, limits in self._first_limits.items():
            self.panels[name].set_ylim(*limits)
        self.title.set_text(" ")
        self._background, self._empty = None, True

    def prepare(self):
        """Draw everything that stays (axes, ticks, labels, the target) now, so that the first
        ``frame`` only draws what moves (call it before the run starts)."""
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self.full_draws += 1

    def frame(self, history, samples=None, title=""):
        """The panels at this moment, as JPEG bytes: ``history`` a ``History`` so far, ``samples``
        the generated samples ``(n, d)`` (None: none yet), ``title`` the line above the panels."""
        epoch = np.asarray(history.epoch, dtype=float)
        for name in self.CURVES:
            self.lines[name].set_data(epoch, np.asarray(getattr(history, name), dtype=float))
        redraw = self._background is None
        redraw |= self._widen("losses", [history.loss_d, history.loss_g])
        redraw |= self._widen("beliefs", [history.d_real, history.d_fake], keep=(-0.02, 1.02))
        redraw |= self._widen("distance", [history.distance], log=True)
        if samples is not None:
            self._generated(samples)
        self.title.set_text(title)
        if redraw:       # everything but the moving artists, saved as the picture they are drawn over
            self.prepare()
        else:
            self.canvas.restore_region(self._background)
        for artist in self._moving:
            self.figure.draw_artist(artist)
        self.frames += 1
        self._empty = False
        return _jpeg(self.canvas)

    @property
    def fresh(self):
        """Empty and prepared: its first ``frame`` draws only what moves."""
        return self._empty and self._background is not None

    def __repr__(self):
        return f"LiveView({self.dim}-D, {self.epochs} epochs; {self.frames} frames, {self.full_draws} drawn in full)"


def snapshot_strip(snapshots, target=None, *, count=5, title="Generated samples during training"):
    """A row of histograms (1-D) or scatters (2-D) at ``count`` evenly spaced snapshots."""
    picks = np.unique(np.linspace(0, len(snapshots) - 1, count).round().astype(int))
    fig, axes = plt.subplots(1, len(picks), figsize=(3.3 * len(picks), 3), sharey=False)
    axes = np.atleast_1d(axes)
    for ax, i in zip(axes, picks):
        epoch, s = snapshots[i]
        s = _np(s)
        if s.shape[1] == 1:
            histogram(s, target, ax, bins=40, title=f"epoch {epoch}")
            ax.legend().set_visible(ax is axes[0])
        else:
            scatter_2d(target(len(s)) if callable(target) else None, s, ax, title=f"epoch {epoch}", size=2)
    fig.suptitle(title, fontsize=13)
    fig.tight_layout()
    return fig


def diagram_box(ax, x, y, text, colour, w=1.9, h=0.8):
    """A rounded, coloured box centred at (x, y) with white bold text: a block of a data-flow diagram."""
    ax.add_patch(matplotlib.patches.FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                 boxstyle="round,pad=0.08", fc=colour, ec="black", alpha=0.9))
    ax.text(x, y, text, ha="center", va="center", fontsize=12, color="white", weight="bold")


def diagram_arrow(ax, x0, y0, x1, y1, text="", **style):
    """An arrow from (x0, y0) to (x1, y1), with an optional caption above its middle; ``style``
    goes to matplotlib's arrowprops (e.g. ``color``, ``ls``)."""
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(arrowstyle="->", lw=2, **style))
    if text:
        ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.18, text, ha="center", fontsize=10)


def gan_diagram(ax=None):
    """The data flow of a GAN, drawn with boxes and arrows."""
    ax = _axes(ax, (11, 4.2))
    ax.set_xlim(0, 11)
    ax.set_ylim(-0.45, 4.2)
    ax.axis("off")

    box, arrow = functools.partial(diagram_box, ax), functools.partial(diagram_arrow, ax)

    box(1.1, 1.1, "noise z", NOISE)
    box(3.6, 1.1, "Generator G", FAKE)
    box(6.1, 1.1, "fake G(z)", FAKE)
    box(6.1, 3.1, "real x", REAL)
    box(8.5, 2.1, "Discriminator D", BELIEF, w=2.2)
    ax.text(10.4, 2.1, "P(real)\n1 = real\n0 = fake", ha="center", va="center", fontsize=11)
    arrow(2.05, 1.1, 2.65, 1.1)
    arrow(4.55, 1.1, 5.15, 1.1)
    arrow(7.05, 1.3, 7.45, 1.85)
    arrow(7.05, 2.9, 7.45, 2.35)
    arrow(9.6, 2.1, 9.85, 2.1)
    ax.annotate("", xy=(3.6, 0.55), xytext=(8.5, 1.65),
                arrowprops=dict(arrowstyle="->", lw=1.5, ls="--", color=FAKE, connectionstyle="arc3,rad=-0.35"))
    ax.text(6.1, -0.3, "G learns from D's verdict on its fakes (gradient)", ha="center", fontsize=10, color="#8a5a00")
    ax.set_title("How data flows through a GAN")
    return ax


# --------------------------------------------------------------------------- when training fails (notebooks 06 and 07)

#: Colours for runs that are neither real nor generated data nor D's belief: none of them is
#: REAL's blue, FAKE's orange or BELIEF's green (Okabe–Ito black, vermillion, purple, sky blue).
RUNS = ("#000000", "#D55E00", "#CC79A7", "#56B4E9", "#8a5a00", "#777777")
_DASHES = ("-", "--", ":", "-.")


def _runs(name, mapping, what):
    """Check that ``mapping`` is a non-empty dict label -> run; return its items."""
    if not isinstance(mapping, dict):
        raise TypeError(f"{name} must be a dict {what}; got {type(mapping).__name__}.")
    if not mapping:
        raise ValueError(f"{name} must hold at least one run ({what}); got none.")
    return list(mapping.items())


def _history_columns(name, label, h, columns):
    missing = [c for c in columns if not hasattr(h, c)]
    if missing:
        raise TypeError(f"{name}[{label!r}] must be a History (the .history of a fit result); got "
                        f"{type(h).__name__}, which has no {', '.join(missing)}.")


def gradient_panels(histories, *, title=None):
    """The generator's gradient norm of several runs, then D(x) and D(G(z)) of each run.

    ``histories``: dict label -> ``History`` (BCE losses, so D's outputs are probabilities).
    Draws 1 + len(histories) panels in a row: ‖∇G‖ on a log scale (one line per run), then one
    panel per run with mean D(x) (REAL) and D(G(z)) (FAKE) against the epoch. Returns the figure.
    """
    items = _runs("histories", histories, "label -> History")
    for label, h in items:
        _history_columns("histories", label, h, ("epoch", "grad_g", "d_real", "d_fake"))
    n = len(items)
    fig, axes = plt.subplots(1, n + 1, figsize=(4.6 * (n + 1), 3.9))
    for k, (label, h) in enumerate(items):
        ep, g = np.asarray(h.epoch), np.asarray(h.grad_g, dtype=float)
        ok = np.isfinite(g) & (g > 0)
        axes[0].plot(ep[ok], g[ok], color=RUNS[k % len(RUNS)], ls=_DASHES[k % len(_DASHES)], label=label)
        ax = axes[k + 1]
        ax.plot(ep, h.d_real, color=REAL, label="D(x), real")
        ax.plot(ep, h.d_fake, color=FAKE, label="D(G(z)), fake")
        ax.axhline(0.5, color="black", lw=1, ls="--", label="0.5: D cannot tell")
        ax.set(title=f"What D believes: {label}", xlabel="epoch", ylabel="mean P(real)", ylim=(-0.02, 1.02))
    axes[0].set_yscale("log")
    plain_log_ticks(axes[0])
    axes[0].set(title="Generator's gradient norm ‖∇G‖", xlabel="epoch", ylabel="‖∇G‖ (log scale)")
    axes[0].legend(fontsize=9)
    # one legend for the belief panels, below them, where it hides no curve
    fig.legend(*axes[1].get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=10,
               bbox_to_anchor=(0.5 + 0.5 / (n + 1), 0.0))
    if title:
        fig.suptitle(title, fontsize=13)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def distance_curves(histories, ax=None, *, title="Distance to the target", scale=None, colors=None):
    """Distance to the target against the epoch, one line per run, on a log scale.

    ``histories``: dict label -> ``History`` (or -> ``(epochs, distances)``). ``scale``: divide
    every distance by it (e.g. the target's std, to read distances in target standard
    deviations). ``colors``: dict label -> colour (default: ``RUNS``, in order); the line styles
    cycle too, so runs that overlap stay visible.
    """
    items = _runs("histories", histories, "label -> History")
    if scale is not None:
        if isinstance(scale, bool) or not isinstance(scale, (int, float, np.floating)) or not np.isfinite(scale) or scale <= 0:
            raise ValueError(f"scale must be a positive number (or None); got {scale!r}.")
    if colors is not None and not isinstance(colors, dict):
        raise TypeError(f"colors must be a dict label -> colour (or None); got {type(colors).__name__}.")
    ax = _axes(ax, (8, 4.5))
    for k, (label, h) in enumerate(items):
        if hasattr(h, "distance"):
            ep, dist = h.epoch, h.distance
        else:
            try:
                ep, dist = h
            except (TypeError, ValueError):
                raise TypeError(f"histories[{label!r}] must be a History or a pair (epochs, distances); "
                                f"got {type(h).__name__}.") from None
        ep, dist = np.asarray(ep, dtype=float), np.asarray(dist, dtype=float) / (scale or 1.0)
        if ep.shape != dist.shape:
            raise ValueError(f"histories[{label!r}] has {ep.size} epochs but {dist.size} distances; they must match.")
        colour = (colors or {}).get(label, RUNS[k % len(RUNS)])
        ax.plot(ep, dist, color=colour, ls=_DASHES[k % len(_DASHES)], label=label)
    ax.set_yscale("log")
    plain_log_ticks(ax)
    unit = "target standard deviations" if scale else "data units"
    ax.set(title=title, xlabel="epoch", ylabel=f"Wasserstein-1 ({unit}, log)")
    ax.legend(fontsize=10)
    return ax


def seed_outcomes(groups, ax=None, *, threshold=0.1, title="Where each seed ended",
                  xlabel="final distance to the target (target standard deviations, log scale)"):
    """One dot per seed for each group of runs, on a log axis, with the "fits" threshold.

    ``groups``: dict label -> 1-D array of final distances (one per seed, > 0), drawn as rows from
    top to bottom with a little vertical jitter; each row's label says how many fell below
    ``threshold`` (a dashed line; None draws no line and counts nothing).
    """
    items = _runs("groups", groups, "label -> final distances, one per seed")
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating))
                                  or not np.isfinite(threshold) or threshold <= 0):
        raise ValueError(f"threshold must be a positive number (or None); got {threshold!r}.")
    values = []
    for label, v in items:
        v = _np(v).ravel()
        if v.size == 0:
            raise ValueError(f"groups[{label!r}] must hold at least one distance; got none.")
        if not np.all(np.isfinite(v)) or np.any(v <= 0):
            raise ValueError(f"groups[{label!r}] must hold finite distances > 0 (a log axis); got values from "
                             f"{np.nanmin(v):.3g} to {np.nanmax(v):.3g}.")
        values.append(v)
    ax = _axes(ax, (8, 1.2 + 1.1 * len(items)))
    rng = np.random.default_rng(0)
    colours = [FAKE, "#8a5a00", "#CC79A7", "#555555"]
    ticks, names = [], []
    for row, ((label, _), v) in enumerate(zip(items, values)):
        y = -row + rng.uniform(-0.22, 0.22, len(v))
        ax.scatter(v, y, s=28, color=colours[row % len(colours)], alpha=0.75, edgecolor="black", lw=0.4)
        ticks.append(-row)
        counted = f"\n{int(np.sum(v < threshold))} of {len(v)} fit" if threshold else f"\n{len(v)} runs"
        names.append(label + counted)
    if threshold:
        ax.axvline(threshold, color=REAL, ls="--", lw=1.5, label=f"fits: below {threshold:g}")
        ax.legend(loc="upper right", fontsize=10)
    ax.set_xscale("log")
    plain_log_ticks(ax, "x")
    ax.set_yticks(ticks, names)
    ax.set_ylim(-len(items) + 0.5, 0.6)
    ax.grid(axis="y", visible=False)
    ax.set(title=title, xlabel=xlabel)
    return ax


def stability_heatmap(smap, ax=None, *, title=None, mark=None):
    """The fraction of seeds that fit, for each (lr of D, lr of G), as an annotated heatmap.

    ``smap``: a ``StabilityMap`` (``gan_lesson.batched.stability_map``), or any object with
    ``lr_d`` (rows), ``lr_g`` (columns), ``fraction`` (rows × columns, 0–1) and ``threshold``.
    ``mark``: an ``(lr_d, lr_g)`` pair whose cell gets a black outline (e.g. a recipe's).
    """
    missing = [a for a in ("lr_d", "lr_g", "fraction") if not hasattr(smap, a)]
    if missing:
        raise TypeError(f"smap must be a StabilityMap (from gan_lesson.batched.stability_map); got "
                        f"{type(smap).__name__}, which has no {', '.join(missing)}.")
    lr_d, lr_g = np.asarray(smap.lr_d, dtype=float).ravel(), np.asarray(smap.lr_g, dtype=float).ravel()
    frac = np.asarray(smap.fraction, dtype=float)
    if frac.shape != (len(lr_d), len(lr_g)):
        raise ValueError(f"fraction must have shape ({len(lr_d)}, {len(lr_g)}) (lr_d × lr_g); got {frac.shape}.")
    if mark is not None:
        try:
            mark_d, mark_g = (float(v) for v in mark)
        except (TypeError, ValueError):
            raise TypeError(f"mark must be a pair (lr_d, lr_g) of positive numbers; got {mark!r}.") from None
        if not (mark_d > 0 and mark_g > 0):
            raise ValueError(f"mark must be a pair (lr_d, lr_g) of positive numbers; got {mark!r}.")
    ax = _axes(ax, (6.8, 5.6))
    image = ax.imshow(frac, origin="lower", cmap="Greens", vmin=0, vmax=1, aspect="auto")
    for i in range(len(lr_d)):
        for j in range(len(lr_g)):
            ax.text(j, i, f"{frac[i, j]:.0%}", ha="center", va="center", fontsize=11,
                    color="white" if frac[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(lr_g)), [f"{v:.1e}" for v in lr_g], rotation=30)
    ax.set_yticks(range(len(lr_d)), [f"{v:.1e}" for v in lr_d])
    ax.grid(False)
    if mark is not None:
        i = int(np.argmin(np.abs(np.log(lr_d) - np.log(mark_d))))
        j = int(np.argmin(np.abs(np.log(lr_g) - np.log(mark_g))))
        ax.add_patch(matplotlib.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="black", lw=2.5))
    threshold = getattr(smap, "threshold", None)
    what = f" (distance < {threshold:g} target std)" if threshold else ""
    ax.set(title=title or f"Fraction of seeds that fit{what}", xlabel="learning rate of G", ylabel="learning rate of D")
    ax.figure.colorbar(image, ax=ax, label="fraction of seeds that fit", fraction=0.046, pad=0.04)
    return ax
