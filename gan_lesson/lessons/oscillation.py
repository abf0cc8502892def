"""Why GAN training circles (06): the smallest game that does it, and the same loop in the 1-D GAN.

**The Dirac-GAN** (Mescheder, Geiger and Nowozin, 2018). Real data is a point mass at 0, G is a
point mass at θ (it "generates" the number θ every time) and D is linear, with logit
D_ψ(x) = ψ·x. With f(t) = −log(1 + e^(−t)) = log σ(t), the plain (minimax) GAN value is

    V(θ, ψ) = f(D_ψ(0)) + f(−D_ψ(θ)) = f(0) + f(−ψθ)

(log D(real) + log(1 − D(fake))). D climbs V in ψ, G descends it in θ; the non-saturating G
climbs f(ψθ) instead. Either way the only equilibrium is (θ, ψ) = (0, 0), and there the
Jacobian of the field (θ̇, ψ̇) is [[0, f′(0)], [−f′(0), 0]], with f′(0) = ½: its eigenvalues
±f′(0)·i are purely imaginary, so the field turns around the centre and never pulls towards it.

* ``vector_field(theta, psi)``: (θ̇, ψ̇), the direction gradient steps move, on any grid.
* ``simultaneous(start, steps, lr)``: both players step at once; the iterates spiral outwards.
* ``alternating(start, steps, lr)``: G steps, then D answers G's new θ; the iterates stay on orbits.
* ``r1=`` (either of them): D's zero-centred gradient penalty on real data, (γ/2)·‖∇ₓD(0)‖² =
  (γ/2)·ψ², makes the eigenvalues' real parts −γ/2 (for γ < 1) and the iterates converge.
* ``moving_average(trajectory, decay)``: an exponential moving average of the iterates (the modern
  recipe's EMA of G): the average's circle shrinks while the iterates keep circling.
* ``jacobian(r1)``, ``eigenvalues(r1)``, ``radius(trajectory)``, ``winding(x, y)``.

**The 1-D GAN.** ``circling_run(seed)`` trains the dashboard's oscillation preset on N(4, 1.25²)
and records, beside G's mean, D's slope across the real data; ``winding`` counts how often the
path (G's mean − 4, D's slope) turns around (0, 0).

Trajectories are numpy arrays of shape ``(steps + 1, 2)``: the columns are θ and ψ, the first row
the start. Everything here is closed-form numpy and runs in milliseconds, except ``circling_run``.
"""
from dataclasses import dataclass

import numpy as np
import torch

from ..maths import samplers
from ..training.loop import fit
from ..training.recipes import CONTROLLED, PRESETS, RECIPES, build_models
from ..validation import check_bool, check_choice, check_int, check_number, check_seed, short_repr

__all__ = ["f", "f_prime", "F_PRIME_AT_ZERO", "LOSSES", "vector_field", "jacobian", "eigenvalues", "simultaneous",
           "alternating", "moving_average", "radius", "winding", "CirclingRun", "circling_run", "OSCILLATION_PRESET"]

#: The generator losses of the Dirac-GAN: G descends V (minimax) or climbs f(ψθ) (non-saturating).
LOSSES = ("minimax", "non_saturating")

#: f′(0) for f(t) = log σ(t): the speed of the rotation at the centre.
F_PRIME_AT_ZERO = 0.5

#: The dashboard preset ``circling_run`` trains.
OSCILLATION_PRESET = "failure: oscillation (learning rates too high)"


def f(t):
    """f(t) = −log(1 + e^(−t)) = log σ(t), elementwise (numbers or arrays)."""
    return -np.logaddexp(0.0, -np.asarray(t, dtype=float))


def f_prime(t):
    """f′(t) = σ(−t) = 1 / (1 + e^t), elementwise; f′(0) = ½."""
    return 0.5 * (1.0 - np.tanh(0.5 * np.asarray(t, dtype=float)))


# ----------------------------------------------------------------------------- arguments

def _grid(name, value):
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of numbers; got {short_repr(value)}.") from None
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must hold finite numbers only; got {short_repr(value)}.")
    return array


def _start(start):
    try:
        theta, psi = start
    except (TypeError, ValueError):
        raise TypeError(f"start must be a pair (theta, psi) of numbers; got {short_repr(start)}.") from None
    return check_number("start[0] (theta)", theta), check_number("start[1] (psi)", psi)


def _settings(start, steps, lr, loss, r1):
    return (*_start(start), check_int("steps", steps, low=1, high=1_000_000),
            check_number("lr", lr, low=0, low_open=True, high=10), check_choice("loss", loss, LOSSES),
            check_number("r1", r1, low=0))


def _trajectory(trajectory):
    array = _grid("trajectory", trajectory)
    if array.ndim != 2 or array.shape[1] != 2 or len(array) < 1:
        raise ValueError(f"trajectory must have shape (n, 2), one (theta, psi) per row; got shape {array.shape}.")
    return array


# ----------------------------------------------------------------------------- the game

def _theta_dot(theta, psi, loss):
    """How θ moves: G descends V (minimax) or climbs f(ψθ) (non-saturating)."""
    if loss == "minimax":
        return psi * f_prime(-psi * theta)
    return psi * f_prime(psi * theta)


def _psi_dot(theta, psi, r1):
    """How ψ moves: D climbs V − (r1/2)·ψ²."""
    return -theta * f_prime(-psi * theta) - r1 * psi


def vector_field(theta, psi, *, loss="minimax", r1=0.0):
    """(θ̇, ψ̇): where gradient steps move the point (θ, ψ); arrays of the shape of ``theta`` and ``psi``
    (e.g. a ``np.meshgrid``), ready for ``plt.quiver``. ``r1``: weight γ ≥ 0 of D's gradient penalty."""
    theta, psi = _grid("theta", theta), _grid("psi", psi)
    if theta.shape != psi.shape:
        raise ValueError(f"theta and psi must have the same shape; got {theta.shape} and {psi.shape}.")
    loss, r1 = check_choice("loss", loss, LOSSES), check_number("r1", r1, low=0)
    return _theta_dot(theta, psi, loss), _psi_dot(theta, psi, r1)


def jacobian(*, r1=0.0):
    """The Jacobian of (θ̇, ψ̇) at the equilibrium (0, 0), a (2, 2) array (the same for both losses)."""
    r1 = check_number("r1", r1, low=0)
    return np.array([[0.0, F_PRIME_AT_ZERO], [-F_PRIME_AT_ZERO, -r1]])


def eigenvalues(*, r1=0.0):
    """Its two (complex) eigenvalues: ±½i without a penalty, real parts −r1/2 with one (r1 < 1)."""
    return np.linalg.eigvals(jacobian(r1=r1))


def simultaneous(start=(1.0, 1.0), *, steps=500, lr=0.2, loss="minimax", r1=0.0):
    """Both players step at once from the same (θ, ψ): (θ, ψ) += lr·(θ̇, ψ̇). Returns ``(steps + 1, 2)``.

    Near the centre each step multiplies the distance from (0, 0) by √(1 + (lr/2)²) > 1 when r1 = 0.
    """
    theta, psi, steps, lr, loss, r1 = _settings(start, steps, lr, loss, r1)
    path = np.empty((steps + 1, 2))
    path[0] = theta, psi
    for k in range(1, steps + 1):
        theta, psi = theta + lr * _theta_dot(theta, psi, loss), psi + lr * _psi_dot(theta, psi, r1)
        path[k] = theta, psi
    return path


def alternating(start=(1.0, 1.0), *, steps=500, lr=0.2, loss="minimax", r1=0.0):
    """G steps first, then D steps against G's new θ (as the training loop does). Returns ``(steps + 1, 2)``.

    Without a penalty each step of the linearised game has determinant 1: the iterates neither
    approach the centre nor leave it, they go round a closed orbit (for lr < 4).
    """
    theta, psi, steps, lr, loss, r1 = _settings(start, steps, lr, loss, r1)
    path = np.empty((steps + 1, 2))
    path[0] = theta, psi
    for k in range(1, steps + 1):
        theta = theta + lr * _theta_dot(theta, psi, loss)
        psi = psi + lr * _psi_dot(theta, psi, r1)
        path[k] = theta, psi
    return path


def moving_average(trajectory, decay=0.99):
    """The exponential moving average of each column, started at the first row:
    avg[k] = decay·avg[k−1] + (1 − decay)·trajectory[k]. Returns an array of ``trajectory``'s shape ``(n, 2)``."""
    path = _trajectory(trajectory)
    decay = check_number("decay", decay, low=0, high=1, high_open=True)
    average = np.empty_like(path)
    average[0] = path[0]
    for k in range(1, len(path)):
        average[k] = decay * average[k - 1] + (1 - decay) * path[k]
    return average


def radius(trajectory):
    """Distance of each row from the equilibrium (0, 0), shape ``(n,)``."""
    return np.hypot(*_trajectory(trajectory).T)


def winding(x, y):
    """How many times the path (x[k], y[k]) turns around (0, 0): positive counter-clockwise, negative
    clockwise (a float: 2.5 is two and a half turns). The points must be close enough that the
    path turns by less than half a turn between neighbours."""
    x, y = _grid("x", x), _grid("y", y)
    if x.ndim != 1 or x.shape != y.shape or len(x) < 2:
        raise ValueError(f"x and y must be 1-D arrays of the same length >= 2; got shapes {x.shape} and {y.shape}.")
    angle = np.unwrap(np.arctan2(y, x))
    return float((angle[-1] - angle[0]) / (2 * np.pi))


# ----------------------------------------------------------------------------- the 1-D GAN

@dataclass
class CirclingRun:
    """``circling_run``'s record, one entry per logged epoch: ``epoch``, ``g_offset`` (G's mean − the
    target's mean, data units), ``d_slope`` (D's logit slope across the real data, per real standard
    deviation: positive means "larger values look more real") and the run itself (``result``)."""

    epoch: np.ndarray
    g_offset: np.ndarray
    d_slope: np.ndarray
    result: object

    @property
    def loops(self):
        """Turns of (g_offset, d_slope) around (0, 0); clockwise (negative), as in the Dirac-GAN."""
        return winding(self.g_offset, self.d_slope)

    def __repr__(self):
        return (f"CirclingRun({len(self.epoch)} records to epoch {int(self.epoch[-1])}, "
                f"{self.loops:+.1f} turns around the equilibrium)")


def circling_run(*, seed=1, epochs=400, log_every=2, progress=True):
    """Train the dashboard preset ``OSCILLATION_PRESET`` (modern networks, Adam with β₁ = 0.9, both
    learning rates 1e-2, no decay, no averaging) on N(4, 1.25²) and record, every ``log_every``
    epochs, G's mean and D's slope: (D(mean + std) − D(mean − std)) / 2 in D's logits, where D
    reads standardised data. About 1.5 s for 400 epochs on one idle core. Returns a ``CirclingRun``."""
    seed = check_seed("seed", seed)
    epochs = check_int("epochs", epochs, low=2, high=100_000)
    log_every = check_int("log_every", log_every, low=1, high=epochs)
    progress = check_bool("progress", progress)
    preset = PRESETS[OSCILLATION_PRESET]
    settings = {k: preset[k] for k in CONTROLLED if k in preset and k != "seed"}
    recipe = RECIPES[preset.get("recipe", "modern")].replace(**preset.get("changes", {}), **settings,
                                                            epochs=epochs, log_every=log_every, name="oscillation")
    # the recipe's own networks, built as fit would build them; holding D lets us read its slope
    G, D = build_models(recipe, 1, generator=torch.Generator().manual_seed(seed))
    either_side = torch.tensor([[-1.0], [1.0]])        # one standard deviation below and above the mean
    slopes = []

    def record_slope(state):
        with torch.no_grad():
            low, high = D(either_side).squeeze(1).tolist()
        slopes.append((high - low) / 2)

    target = samplers.Gaussian(4.0, 1.25)
    result = fit(target, recipe=recipe, generator=G, discriminator=D, seed=seed, callback=record_slope,
                 progress=progress)
    history = result.history
    return CirclingRun(np.array(history.epoch), np.array(history.fake_mean) - target.mean, np.array(slopes), result)
