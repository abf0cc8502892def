"""Two views of a GAN in the plane: what D believes, and how G bends its noise.

* ``decision_surface(D, real, fake)``: D's belief P(real) as a heatmap over the plane, the real
  (blue) and generated (orange) points on top, the line D = ½, and an arrow on some generated
  points: the way the generator's loss pushes that point (``generator_push``).
* ``generator_push(D, x)``: those arrows as numbers, −∇ₓ L_G for each row of ``x``, shape ``(n, 2)``.
  A generated point x = G(z) moves (through G's weights) down the gradient of G's loss, so
  −∇ₓ L_G is where G is being told to put it. For both BCE generator losses it points up D's
  slope, towards where D says "more real".
* ``warped_grid(G)``: a square grid of lines in noise space and its image under G. A linear G
  maps the grid to a sheared, stretched grid and the unit circle to an ellipse.

Every function takes modules (or functions) and tensors (or arrays), draws into ``ax`` (new axes
when ``ax`` is None) and returns the axes.
"""
import matplotlib.axes
import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..views.plots import BELIEF, FAKE, NOISE, REAL
from ..validation import check_bool, check_callable, check_choice, check_int, check_number

__all__ = ["decision_surface", "generator_push", "warped_grid", "BELIEF_CMAP", "PUSH_LOSSES"]

#: D's belief from 0 (white: "surely fake") to 1 (green: "surely real").
BELIEF_CMAP = matplotlib.colors.LinearSegmentedColormap.from_list("belief", ["#ffffff", BELIEF])

#: The generator losses whose push can be drawn.
PUSH_LOSSES = ("non_saturating", "minimax")

_ARROW = "#202020"          # arrows: near-black, readable on white and on green
_IMAGE_DARK = "#9a5c00"     # the second family of grid lines: a darker orange


# ----------------------------------------------------------------------------- arguments

def _points(name, x, dim=2):
    """``x`` as a float32 tensor ``(n, dim)`` of finite numbers, or a clear error."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.asarray(x, dtype=np.float32))
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a tensor or array of shape (n, {dim}); got {type(x).__name__}.")
    if x.ndim != 2 or x.shape[1] != dim or x.shape[0] < 1:
        raise ValueError(f"{name} must have shape (n, {dim}) with n >= 1, one point per row; "
                         f"got shape {tuple(x.shape)}.")
    x = x.detach().float()
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values; every point must be finite.")
    return x


def _model(name, m):
    return check_callable(name, m, "a model or function mapping a tensor (n, 2) to a tensor")


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    elif not isinstance(ax, matplotlib.axes.Axes):
        raise TypeError(f"ax must be matplotlib axes or None; got {type(ax).__name__}.")
    return ax


def _logits(D, logits):
    if logits is None:
        return bool(getattr(D, "outputs_logits", False))
    return check_bool("logits", logits)


def _lim(lim, clouds):
    """((x_lo, x_hi), (y_lo, y_hi)) from ``lim`` or from the points, padded."""
    if lim is not None:
        try:
            (x0, x1), (y0, y1) = lim
            x0, x1, y0, y1 = (check_number("lim", float(v)) for v in (x0, x1, y0, y1))
        except (TypeError, ValueError):
            raise ValueError(f"lim must be ((x_min, x_max), (y_min, y_max)) with min < max; got {lim!r}.") from None
        if not (x0 < x1 and y0 < y1):
            raise ValueError(f"lim must be ((x_min, x_max), (y_min, y_max)) with min < max; got {lim!r}.")
        return (x0, x1), (y0, y1)
    if not clouds:
        return (-3.0, 3.0), (-3.0, 3.0)
    pts = torch.cat(clouds).numpy()
    lo, hi = np.percentile(pts, 0.5, axis=0), np.percentile(pts, 99.5, axis=0)
    pad = 0.15 * np.maximum(hi - lo, 1e-3) + 0.3
    return (lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1])


def _beliefs(D, x, logits, name="D"):
    """D's P(real) for the rows of ``x``, as a 1-D tensor, with the checks a student needs."""
    out = D(x)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"{name} must return a tensor; it returned {type(out).__name__}.")
    if out.shape not in ((len(x), 1), (len(x),)):
        raise ValueError(f"{name} must return one value per point, shape (n, 1); for n = {len(x)} points "
                         f"it returned shape {tuple(out.shape)}.")
    out = out.reshape(-1)
    if not torch.isfinite(out).all():
        raise ValueError(f"{name} returned NaN or infinite values; its weights may have blown up during training.")
    if logits:
        return torch.sigmoid(out)
    if out.detach().min() < 0 or out.detach().max() > 1:
        raise ValueError(f"{name} returned values from {out.min().item():.3g} to {out.max().item():.3g}, "
                         "not probabilities in [0, 1]; if D returns raw scores (logits), pass logits=True.")
    return out


# ----------------------------------------------------------------------------- D's view

def generator_push(D, x, *, loss="non_saturating", logits=None):
    """−∇ₓ L_G at each row of ``x`` ``(n, d)``: where the generator's loss pushes a generated point.

    ``D`` maps ``(n, d)`` to ``(n, 1)``: P(real), or a logit when ``logits=True`` (by default read
    from ``D.outputs_logits``). ``loss``: ``"non_saturating"`` (L_G = −log D(x), push ∇D / D) or
    ``"minimax"`` (L_G = log(1 − D(x)), push ∇D / (1 − D)). Each row gets its own gradient (the
    per-point losses are summed, not averaged), so the result does not depend on ``n``.
    D's parameters and their ``.grad`` are left untouched. Returns a float32 tensor ``(n, d)``.
    """
    _model("D", D)
    check_choice("loss", loss, PUSH_LOSSES)
    logits = _logits(D, logits)
    if isinstance(x, (np.ndarray, torch.Tensor)) and getattr(x, "ndim", 0) == 2:
        x = _points("x", x, dim=x.shape[1])
    else:
        x = _points("x", x)
    x = x.clone().requires_grad_(True)
    with torch.enable_grad():
        out = D(x)
        if not isinstance(out, torch.Tensor) or out.shape not in ((len(x), 1), (len(x),)):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(f"D must return one value per point, shape (n, 1); for n = {len(x)} points it "
                             f"returned {shape}.")
        out = out.reshape(-1)
        if logits:
            per_point = -F.logsigmoid(out) if loss == "non_saturating" else F.logsigmoid(-out)
        else:
            if out.detach().min() < 0 or out.detach().max() > 1:
                raise ValueError(f"D returned values from {out.min().item():.3g} to {out.max().item():.3g}, "
                                 "not probabilities in [0, 1]; if D returns raw scores (logits), pass logits=True.")
            p = out.clamp(1e-7, 1 - 1e-7)
            per_point = -torch.log(p) if loss == "non_saturating" else torch.log1p(-p)
        if not per_point.requires_grad:
            raise ValueError("D's output does not depend on its input through autograd (was it computed under "
                             "torch.no_grad() or detached?); the push needs ∇ₓ D(x).")
        grad, = torch.autograd.grad(per_point.sum(), x)
    return (-grad).detach()


def decision_surface(D, real=None, fake=None, ax=None, *, arrows=40, loss="non_saturating", logits=None,
                     lim=None, resolution=120, arrow_scale=None, colorbar=True,
                     title="What D believes, and where G's points are pushed"):
    """D's belief over the plane, the real and generated points, and the push on the generated ones.

    ``D``: a 2-D discriminator, ``(n, 2)`` -> ``(n, 1)`` (P(real), or logits with ``logits=True``).
    ``real``, ``fake``: points ``(n, 2)`` (tensors or arrays; either may be None).
    ``arrows``: how many generated points (an evenly spaced subset) get an arrow of
    ``generator_push`` (0 for none). ``arrow_scale``: arrow length in data units per unit of push;
    None draws the median arrow at 7 % of the plot's width and caps the longest at 20 % (their
    direction is kept); the legend gives the median size of the push, so panels drawn with
    different scales can still be compared. ``lim``: ``((x_min, x_max),
    (y_min, y_max))``, by default fitted to the points. ``resolution``: grid cells a side.
    Returns the axes.
    """
    _model("D", D)
    logits = _logits(D, logits)
    real = None if real is None else _points("real", real)
    fake = None if fake is None else _points("fake", fake)
    arrows = check_int("arrows", arrows, low=0)
    check_choice("loss", loss, PUSH_LOSSES)
    resolution = check_int("resolution", resolution, low=10, high=1000)
    if arrow_scale is not None:
        arrow_scale = check_number("arrow_scale", arrow_scale, low=0, low_open=True)
    check_bool("colorbar", colorbar)
    if arrows and fake is None:
        raise ValueError(f"arrows={arrows} needs generated points to draw them on; pass fake=..., or arrows=0.")
    ax = _axes(ax, (6.5, 5.5))
    (x0, x1), (y0, y1) = _lim(lim, [c for c in (real, fake) if c is not None])

    gx, gy = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    grid = torch.from_numpy(np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2).astype(np.float32))
    with torch.no_grad():
        belief = _beliefs(D, grid, logits).reshape(resolution, resolution).numpy()
    image = ax.imshow(belief, origin="lower", extent=(x0, x1, y0, y1), cmap=BELIEF_CMAP, vmin=0, vmax=1,
                      interpolation="bilinear", aspect="auto")
    if belief.min() < 0.5 < belief.max():
        ax.contour(gx, gy, belief, levels=[0.5], colors="black", linewidths=1.2, linestyles="--")
        ax.plot([], [], color="black", lw=1.2, ls="--", label="D(x) = ½")
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=7, color=REAL, alpha=0.55, label="real", edgecolors="none")
    if fake is not None:
        ax.scatter(fake[:, 0], fake[:, 1], s=7, color=FAKE, alpha=0.75, label="generated", edgecolors="none")
    if arrows:
        pick = np.unique(np.linspace(0, len(fake) - 1, min(arrows, len(fake))).round().astype(int))
        start = fake[pick]
        push = generator_push(D, start, loss=loss, logits=logits).numpy()
        length = np.linalg.norm(push, axis=1)
        typical = float(np.median(length))
        if arrow_scale is not None:
            drawn = push * arrow_scale
        else:    # the median arrow 7 % of the width; the longest capped at 20 % (direction kept)
            scale = 0.07 * (x1 - x0) / typical if typical > 0 else 0.0
            cap = 0.2 * (x1 - x0)
            shrink = np.minimum(1.0, cap / np.maximum(length * scale, 1e-12))
            drawn = push * (scale * shrink)[:, None]
        ax.quiver(start[:, 0], start[:, 1], drawn[:, 0], drawn[:, 1], angles="xy", scale_units="xy", scale=1,
                  color=_ARROW, width=0.006, headwidth=4, headlength=5, zorder=4,
                  label=f"push −∇ₓ L_G (median size {typical:.2g})")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="D(x) = P(real)", fraction=0.046, pad=0.03)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), title=title, xlabel="x₁", ylabel="x₂")
    ax.grid(False)
    ax.legend(loc="upper left", fontsize=9, markerscale=2.5, framealpha=0.85)
    return ax


# ----------------------------------------------------------------------------- G's view

def _noise_dim(G, noise_dim):
    if noise_dim is not None:
        return check_int("noise_dim", noise_dim, low=2)
    if isinstance(G, nn.Module):
        for m in G.modules():
            if isinstance(m, nn.Linear):
                if m.in_features < 2:
                    raise ValueError(f"G takes noise of {m.in_features} dimension(s); a grid in the noise plane "
                                     "needs at least 2.")
                return m.in_features
    raise ValueError("noise_dim could not be read from G (it has no linear layer); pass noise_dim=... "
                     "(the width of the noise G takes, at least 2).")


def _unit(v):
    """v scaled to length 1 (a zero vector stays zero)."""
    return v / max(float(np.linalg.norm(v)), 1e-12)


def warped_grid(G, ax=None, *, extent=2.0, lines=7, points=60, noise_dim=None, real=None, show_noise=True,
                title="How G bends the noise plane"):
    """A square grid of noise space, [−extent, extent]², and its image under G.

    ``G`` maps noise ``(n, noise_dim)`` to points ``(n, 2)``; noise dimensions beyond the first two
    are held at 0 (``noise_dim`` is read from G's first linear layer unless given). Draws the
    noise grid and unit circle (grey, if ``show_noise``), the image of the grid (orange: lines of
    constant z₂ light, of constant z₁ dark), the image of the unit circle (black), and arrows
    from G(0) to G(e₁) and G(e₂): for a linear G, x = z·W + c, those arrows are the rows of W. ``real``: optional real points
    ``(n, 2)`` drawn faintly behind. Returns the axes.
    """
    _model("G", G)
    extent = check_number("extent", extent, low=0, low_open=True)
    lines = check_int("lines", lines, low=2, high=101)
    points = check_int("points", points, low=2, high=2000)
    check_bool("show_noise", show_noise)
    k = _noise_dim(G, noise_dim)
    real = None if real is None else _points("real", real)
    ax = _axes(ax, (6, 5.5))

    values = torch.linspace(-extent, extent, lines)
    t = torch.linspace(-extent, extent, points)
    angle = torch.linspace(0, 2 * np.pi, 200)
    plane = []                                              # (n, 2) pieces: grid lines, circle, basis
    for v in values:
        plane.append(torch.stack([t, torch.full_like(t, float(v))], 1))     # z₂ = v (runs along z₁)
    for v in values:
        plane.append(torch.stack([torch.full_like(t, float(v)), t], 1))     # z₁ = v (runs along z₂)
    plane.append(torch.stack([angle.cos(), angle.sin()], 1))                # unit circle
    plane.append(torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))        # 0, e₁, e₂
    flat = torch.cat(plane)
    z = torch.zeros(len(flat), k)
    z[:, :2] = flat
    with torch.no_grad():
        x = G(z)
    if not isinstance(x, torch.Tensor) or x.shape != (len(z), 2):
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"G must map noise (n, {k}) to points (n, 2); for n = {len(z)} it returned {shape}.")
    if not torch.isfinite(x).all():
        raise ValueError("G returned NaN or infinite values; its weights may have blown up during training.")
    pieces = torch.split(x, [len(p) for p in plane])
    img = [p.numpy() for p in pieces]
    src = [p.numpy() for p in plane]

    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=5, color=REAL, alpha=0.2, label="real", edgecolors="none", zorder=1)
    for i in range(2 * lines):
        if show_noise:
            ax.plot(src[i][:, 0], src[i][:, 1], color=NOISE, lw=0.8, alpha=0.6, zorder=2,
                    label="noise grid and unit circle (z)" if i == 0 else None)
        ax.plot(img[i][:, 0], img[i][:, 1], color=_IMAGE_DARK if i >= lines else FAKE, lw=1.4, zorder=3,
                label="their image under G (x)" if i == 0 else None)
    circle, basis = img[-2], img[-1]
    if show_noise:
        ax.plot(src[-2][:, 0], src[-2][:, 1], color=NOISE, lw=2, ls=":", zorder=3)
    ax.plot(circle[:, 0], circle[:, 1], color="black", lw=2.2, zorder=4, label="image of the unit circle")
    for j in (1, 2):
        ax.annotate("", xy=basis[j], xytext=basis[0], zorder=5,
                    arrowprops=dict(arrowstyle="-|>", lw=2, color="black", mutation_scale=15))
    ax.scatter(*basis[0], color="black", s=25, zorder=5)
    # each label 22 points from the point it names, pushed away from the other two points, so
    # that G(0) sits opposite both arrows and each tip's label away from the other tip
    p0, p1, p2 = (np.asarray(b, dtype=float) for b in basis[:3])
    for name, point, direction in (("G(0)", p0, -_unit(p1 - p0) - _unit(p2 - p0)),
                                   ("G(e₁)", p1, _unit(p1 - p0) + _unit(p1 - p2)),
                                   ("G(e₂)", p2, _unit(p2 - p0) + _unit(p2 - p1))):
        offset = 22 * _unit(direction)
        ax.annotate(name, xy=point, xytext=(offset[0], offset[1]), textcoords="offset points", fontsize=11,
                    ha="center", va="center", zorder=5,
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none"))
    shown = [np.concatenate(img)] + ([np.concatenate(src)] if show_noise else [])
    if real is not None:     # the bulk of the real points, not their farthest outliers
        shown.append(np.percentile(real.numpy(), [1, 99], axis=0))
    shown = np.concatenate(shown)
    lo, hi = shown.min(0), shown.max(0)
    pad = 0.08 * (hi - lo).max() + 0.1
    ax.set(title=title, xlabel="x₁ (and z₁ for the grey grid)", ylabel="x₂ (and z₂)",
           xlim=(lo[0] - pad, hi[0] + pad), ylim=(lo[1] - pad, hi[1] + pad))
    ax.set_aspect("equal", adjustable="box")
    ax.legend(loc="upper left", fontsize=9, markerscale=2, framealpha=0.85)
    return ax
