"""The coach: read a run's own signals and say, in one plain sentence, what is happening.

``diagnose(history, reference=..., samples=...)`` looks at the last few records of a
``History`` — D(x), D(G(z)), the losses, the generator's gradient norm, the generated spread,
the distance to the target — and, when given the latest generated ``samples`` and real
``reference`` samples, at how much of the target the samples cover. It returns a
``Diagnosis``: a ``kind`` and a ``sentence`` with what to try. The kinds, checked in this order:

==============  ==================================================================  =========
kind            signal                                                              healthy?
==============  ==================================================================  =========
``diverged``    the run stopped on a non-finite loss                                no
``warming_up``  fewer than three records                                            yes
``converged``   distance < 0.1 target std and D(x) ≈ D(G(z)) ≈ 0.5                  yes
``d_winning``   D(x) > 0.8 and D(G(z)) < 0.2: D separates the two; G's gradient     no
                may have vanished
``collapsed``   generated spread < 0.35 of the target's, or the samples cover        no
                under 60 % of the target while being realistic (mode collapse);
                not when the spread swings from narrow to wide and back
``oscillating`` the distance, D(G(z)) or the spread swings up and down without      no
                settling
``g_exploits``  D is fooled (D(x) ≈ D(G(z))) but the samples are far from the        no
                target: G exploits what D cannot see
``stalled``     far from the target and no longer getting closer                     no
``learning``    getting closer                                                       yes
==============  ==================================================================  =========
"""
import html
from dataclasses import dataclass

import numpy as np
import torch

from ..maths.losses import LOSSES
from ..maths.metrics import precision_recall
from ..validation import check_choice

__all__ = ["Diagnosis", "diagnose", "KINDS"]

KINDS = ("diverged", "warming_up", "converged", "d_winning", "collapsed", "oscillating", "g_exploits",
         "stalled", "learning")
HEALTHY = {"warming_up", "converged", "learning"}


@dataclass(frozen=True)
class Diagnosis:
    kind: str
    sentence: str

    @property
    def healthy(self):
        return self.kind in HEALTHY

    def __str__(self):
        return self.sentence

    def html(self):
        """The sentence as the dashboard shows it: "Coach:" and the sentence, green when the run
        is healthy, orange when it is not."""
        colour = "#1a7f37" if self.healthy else "#b35900"
        return (f"<span style='color:{colour}; font-size:14px'><b>Coach:</b> "
                f"{html.escape(self.sentence)}</span>")


def _finite(values):
    a = np.asarray(values, dtype=float)
    return a[np.isfinite(a)]


def _scale(reference):
    if reference is None:
        return None
    r = np.asarray(reference.detach().numpy() if hasattr(reference, "detach") else reference, dtype=float)
    r = r.reshape(len(r), -1)
    return float(r.std(axis=0).mean())


def diagnose(history, *, reference=None, samples=None, loss="non_saturating", status=None, window=5):
    """One ``Diagnosis`` of the run so far (see the module docstring for the rules).

    ``history``: a ``History`` (``result.history``; a ``FitResult`` is read through its history).
    """
    if hasattr(history, "seeds") and hasattr(history, "relative"):
        raise TypeError("history must be one run's History; got the result of fit_many (many GANs at once, which "
                        "records only their distances). Diagnose one of them with fit(target, seed=s).")
    if hasattr(history, "history") and hasattr(history, "recipe"):      # a FitResult: read its own record
        reference = history.reference if reference is None else reference
        samples = history.snapshots[-1][1] if samples is None and history.snapshots else samples
        loss = history.recipe.loss
        status = history.status if status is None else status
        history = history.history
    loss = check_choice("loss", loss, LOSSES)
    for name, value in (("samples", samples), ("reference", reference)):
        if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim == 2 and value.shape[0] == 1 < value.shape[1]:
            raise ValueError(f"{name} has shape {tuple(value.shape)}: one row of {value.shape[1]} numbers; samples go "
                             f"one per row, so pass {name}.T (or {name}.reshape(-1, 1)).")
    if reference is not None and not isinstance(reference, (torch.Tensor, np.ndarray)):
        raise TypeError(f"reference must be real samples, a tensor or array (n, d) such as result.reference; got "
                        f"{type(reference).__name__}. A sampler gives them: reference=sampler(2000).")
    if not all(hasattr(history, k) for k in ("epoch", "distance", "d_real", "d_fake", "spread", "grad_g")):
        raise TypeError(f"history must be a History (a run's result.history); got {type(history).__name__}. "
                        "A dict from History.as_dict() becomes one with History.from_dict(d).")
    if status == "diverged":
        return Diagnosis("diverged", "The run diverged: a loss became NaN or infinite. Lower the learning "
                                     "rates (try 10× smaller) and train again.")
    n = len(history)
    if n < 3:
        return Diagnosis("warming_up", "Warming up: not enough records yet to judge.")
    w = min(window, n - 1)
    bce = loss in ("non_saturating", "minimax")
    dist = np.asarray(history.distance, dtype=float)
    scale = _scale(reference)
    rel = dist / scale if scale else dist / max(dist[0], 1e-12)
    rel_now = float(np.mean(rel[-2:]))
    d_real = float(np.mean(_finite(history.d_real[-w:]) if len(_finite(history.d_real[-w:])) else [np.nan]))
    d_fake = float(np.mean(_finite(history.d_fake[-w:]) if len(_finite(history.d_fake[-w:])) else [np.nan]))
    grads = _finite(history.grad_g)
    grad_now = float(np.mean(_finite(history.grad_g[-w:]))) if len(_finite(history.grad_g[-w:])) else np.nan
    grad_peak = float(grads.max()) if len(grads) else np.nan
    spread = _finite(history.spread[-w:])
    spread_now = float(spread.mean()) if len(spread) else np.nan
    # a spread that swings from narrow to wide and back is the chase of an oscillating game, not a
    # collapse: a collapsed generator stays narrow
    spread_swings = len(spread) >= 3 and spread.max() > 0.7 and spread.max() > 3 * max(spread.min(), 1e-12)
    epoch = history.epoch[-1]

    if bce and rel_now < 0.1 and abs(d_real - 0.5) < 0.15 and abs(d_fake - 0.5) < 0.15:
        return Diagnosis("converged", f"Converged: D can no longer tell real from fake (D(x) ≈ {d_real:.2f}, "
                                      f"D(G(z)) ≈ {d_fake:.2f}) and the samples are {rel_now:.2f} target "
                                      "standard deviations from the target.")
    if not bce and rel_now < 0.1:
        return Diagnosis("converged", f"Converged: the samples are {rel_now:.2f} target standard deviations "
                                      "from the target.")

    if bce and d_real > 0.8 and d_fake < 0.2:
        fix = ("use the non-saturating loss, or lower D's learning rate" if loss == "minimax"
               else "lower D's learning rate or its steps per epoch, or raise G's learning rate")
        if loss == "minimax" and d_fake < 0.05:
            # d/dx log(1 − D(G(z))) carries a factor D(G(z)): when D rejects every fake, it is ~0
            return Diagnosis("d_winning", f"The discriminator is winning — D(G(z)) ≈ {d_fake:.2f} and the "
                                          "generator's gradients have vanished (the minimax loss scales them by "
                                          f"D(G(z)); ‖∇G‖ ≈ {grad_now:.1e}); {fix}.")
        if np.isfinite(grad_now) and np.isfinite(grad_peak) and grad_now < 0.1 * grad_peak:
            return Diagnosis("d_winning", f"The discriminator is winning — D(G(z)) ≈ {d_fake:.2f} and the "
                                          f"generator's gradients have vanished (‖∇G‖ ≈ {grad_now:.1e}, down "
                                          f"from {grad_peak:.1e}); {fix}.")
        return Diagnosis("d_winning", f"The discriminator is winning — it tells real (D(x) ≈ {d_real:.2f}) from "
                                      f"fake (D(G(z)) ≈ {d_fake:.2f}) with ease, so G learns little; {fix}.")

    recall, precision = None, None
    if samples is not None and reference is not None:
        pr = precision_recall(samples, reference, n=400)
        precision = pr["precision"]
        if pr["precision"] > 0.6 and pr["recall"] < 0.6:
            recall = pr["recall"]
    if not spread_swings and ((np.isfinite(spread_now) and spread_now < 0.35 and rel_now > 0.2) or recall is not None):
        detail = (f"the samples are {spread_now:.2f}× as spread as the target" if recall is None else
                  f"only {recall:.0%} of the target has a generated sample near it")
        return Diagnosis("collapsed", f"The generated spread has collapsed: {detail} (mode collapse). Try the "
                                      "Wasserstein or least-squares loss, show D whole batches (what D sees), "
                                      "or lower G's learning rate.")

    recent = rel[-2 * w:]
    swings = np.abs(np.diff(recent))
    ups = int(np.sum(np.diff(recent) > 0))
    fake_swing = float(np.std(_finite(history.d_fake[-2 * w:]))) if bce else 0.0
    if (len(recent) >= 4 and rel_now > 0.1 and ups >= len(swings) // 3 and
            (recent.max() - recent.min()) > 0.5 * max(recent.mean(), 1e-12) and swings.mean() > 0.05) or fake_swing > 0.12 \
            or (spread_swings and rel_now > 0.1):
        also = (f", and the generated spread between {spread.min():.2f}× and {spread.max():.2f}× the target's"
                if spread_swings else "")
        return Diagnosis("oscillating", f"The run is oscillating: over the last {len(recent)} records the distance "
                                        f"swings between {recent.min() * (scale or 1):.2f} and "
                                        f"{recent.max() * (scale or 1):.2f}{also} as the players chase each other. "
                                        "Lower both learning rates or let them decay.")

    improving = rel[-w - 1] - rel[-1] > 0.05 * rel[-w - 1]
    unrealistic = precision is not None and precision < 0.5
    if bce and abs(d_real - d_fake) < 0.1 and 0.3 < d_fake < 0.7 and (rel_now > 0.3 or unrealistic) \
            and not improving:
        where = (f"only {precision:.0%} of the generated points lie where real data does" if unrealistic
                 else f"the samples are still {rel_now:.1f} target standard deviations away")
        return Diagnosis("g_exploits", f"D is fooled (D(x) ≈ {d_real:.2f}, D(G(z)) ≈ {d_fake:.2f}) but {where}: "
                                       "G exploits what D cannot see. Show D more of the data ('per_sample' "
                                       "or 'raw' instead of 'moments').")
    if rel_now > 0.3 and not improving:
        return Diagnosis("stalled", f"Stalled: no progress over the last records (distance {dist[-1]:.2f}). "
                                    "Try another seed, other learning rates, or more epochs.")
    return Diagnosis("learning", f"Learning: the distance to the target went from {dist[-w - 1]:.2f} to "
                                 f"{dist[-1]:.2f} over the last {epoch - history.epoch[-w - 1]} epochs.")
