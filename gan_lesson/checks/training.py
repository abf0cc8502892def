"""Checkers for notebook 05 (the training loop): one discriminator step and one generator step.

Both exercises share one signature shape, as in a real loop where both optimizers exist::

    d_step(G, D, g_opt, d_opt, real, z) -> the discriminator's loss
    g_step(G, D, g_opt, d_opt, z)       -> the generator's loss

``D`` returns P(real) of shape ``(n, 1)`` (a sigmoid output). The checker never touches the
student's own networks: it builds a small pair with fixed seeds and runs the student's step on
deep copies with recording SGD optimizers (``engine.run_step``: one step moves the weights by
exactly −lr·gradient, and every zero_grad, backward and step is logged in order). What moved,
the gradient each step used and the order of the calls are then read by ``mistakes``, the table
of mistakes notebooks 05, 09 and 10 share (labels swapped, a term missing or subtracted, a loss
summed over the batch, gradients not zeroed or wiped before the step, the fake batch not
detached or D's output detached, the saturating loss, a second sigmoid, the other optimizer…).
"""
import torch

from ..maths import models
from . import mistakes
from .core import checker, expect
from .engine import Probe, run_step

__all__ = ["check_d_step", "check_g_step"]

LR = 0.1          # plain SGD in the checker: the update is exactly −LR · gradient
SEED_GRAD = 0.5   # every D (or G) .grad is pre-filled with this before the student's step
N = 32            # batch size of the probe
TOL = 2e-3        # relative tolerance when comparing updates (float32, any summation order)


# --------------------------------------------------------------------------- the probe

def _pair():
    """A small fixed G (2-D noise -> 1-D) and D (1-D -> P(real)), D fairly sure fakes are fake."""
    with torch.random.fork_rng(devices=[]):      # leave the notebook's global random state alone
        torch.manual_seed(1234)
        return _make_pair()


def _make_pair():
    G = models.MLPGenerator(noise_dim=2, data_dim=1, hidden=(8,), activation="tanh")
    D = models.MLPDiscriminator(1, hidden=(8,), activation="tanh", sigmoid=True)
    with torch.no_grad():
        G.net[-1].bias.fill_(-0.5)       # fakes sit to the left of the real data…
        D.net[0].weight.abs_()           # …and D rises with x, saying "fake" (~0.1) to most of them
        D.net[2].weight.abs_()
        D.net[2].bias.fill_(-2.0)
    g = torch.Generator().manual_seed(99)
    real = 1.0 + 0.5 * torch.randn(N, 1, generator=g)
    z = torch.randn(N, 2, generator=g)
    return G, D, real, z


WORDS = mistakes.Words(fn="d_step")
G_WORDS = mistakes.Words(fn="g_step")


def _probe():
    G, D, real, z = _pair()
    return Probe(G, D, real, z, logits=False)


# --------------------------------------------------------------------------- D step

@checker("one discriminator step, d_step(G, D, g_opt, d_opt, real, z)")
def check_d_step(d_step):
    probe = _probe()
    trace = run_step(d_step, {"G": probe.G, "D": probe.D}, (probe.real, probe.z), lr=LR, stale={"D": SEED_GRAD},
                     what="d_step")
    if trace.error is not None:
        raise mistakes.crash(trace.error, WORDS, "d_opt")
    mistakes.frozen(trace, "G", WORDS)
    mistakes.frozen(trace, "D", WORDS)
    expect(not trace.moved("G"),
           "G's parameters changed during the discriminator step: only D may be trained here (G is held fixed).",
           "Step D's optimizer only: `d_opt.step()`, not `g_opt.step()`.")
    expect(not trace.reached("G"),
           "G's parameters received gradients during the discriminator step: the fake batch was not detached, "
           "so D's labels ('fake') would train G too.",
           "Use `fake = G(z).detach()` (or compute it under `torch.no_grad()`) before giving it to D.")
    exp = mistakes.d_update(trace, probe, WORDS)
    expect(len(trace.of("step", "d_opt")) == 1,
           f"`d_opt.step()` ran {len(trace.of('step', 'd_opt'))} times: D took more than one step.",
           "One `d_opt.step()` per call of d_step.")
    how = mistakes.returned(trace.out, probe.d_loss_value(), "d_step", scales=(1.0, exp.scale))
    _unequal_batches(d_step)
    scale = f" ({mistakes.scaled_note(exp.scale, WORDS.d_loss)})" if abs(exp.scale - 1) > 1e-6 else ""
    return (f"D took one step on real → 1, detached fake → 0, with zeroed gradients (also with {N // 2} real and "
            f"{N} fake samples); G untouched{scale}; {how}.")


def _unequal_batches(d_step):
    """d_step on a real batch half the size of the fake one: both terms must keep their equal weight."""
    G, D, real, z = _pair()
    probe = Probe(G, D, real[:N // 2], z, logits=False)
    trace = run_step(d_step, {"G": probe.G, "D": probe.D}, (probe.real, probe.z), lr=LR, stale={"D": SEED_GRAD},
                     what="d_step")
    if trace.error is not None:
        raise mistakes.unequal_crash(trace.error, WORDS, N // 2, N)
    mistakes.unequal_d_update(trace, probe, WORDS)


# --------------------------------------------------------------------------- G step

@checker("one generator step, g_step(G, D, g_opt, d_opt, z)")
def check_g_step(g_step):
    probe = _probe()
    trace = run_step(g_step, {"G": probe.G, "D": probe.D}, (probe.z,), lr=LR, stale={"G": SEED_GRAD},
                     what="g_step", optimizers=(("g_opt", "G"), ("d_opt", "D")))
    if trace.error is not None:
        raise mistakes.crash(trace.error, G_WORDS, "g_opt")
    mistakes.frozen(trace, "D", G_WORDS)
    mistakes.frozen(trace, "G", G_WORDS)
    g_moved, d_moved = trace.moved("G"), trace.moved("D")
    expect(not (d_moved and not g_moved),
           "D's parameters changed and G's did not: the generator step stepped the wrong optimizer.",
           "Call `g_opt.step()` (G's optimizer), not `d_opt.step()`.")
    expect(not d_moved,
           "D's parameters changed during the generator step: D must be held fixed while G trains.",
           "Step only `g_opt`; the gradients that reach D here are not meant to train it.")
    mistakes.g_update(trace, probe, G_WORDS)
    expect(len(trace.of("step", "g_opt")) == 1,
           f"`g_opt.step()` ran {len(trace.of('step', 'g_opt'))} times: G took more than one step.",
           "One `g_opt.step()` per call of g_step.")
    how = mistakes.returned(trace.out, probe.g_loss_value(), "g_step", scales=(1.0,))
    return (f"G took one step on the non-saturating loss BCE(D(G(z)), 1) with zeroed gradients; "
            f"D held fixed; {how}.")
