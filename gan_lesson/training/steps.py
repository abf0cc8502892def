"""One discriminator step and one generator step: the two functions notebook 05 has you write.

``d_step(G, D, g_opt, d_opt, real, z)`` and ``g_step(G, D, g_opt, d_opt, z)`` are exactly the
solutions of notebook 05, line for line, with three additions a recipe may ask for (each off by
default, so the defaults *are* notebook 05's functions):

* ``loss``: a name from ``losses.REGISTRY`` (default ``"non_saturating"``);
* ``logits``: D returns raw scores instead of probabilities (the loss applies the sigmoid);
* the Wasserstein losses' extras: ``gp_weight`` (the gradient penalty added to D's loss) and
  ``clip`` (D's weights clamped after its step); ``generator`` is the random source for the
  penalty's mixing points.

``fit`` calls these two with the recipe's settings, or the ones you pass it
(``gl.fit(target, d_step=my_d_step, g_step=my_g_step)``): the loop around them is
``training.train_loop``.
"""
import torch

from ..maths import losses

__all__ = ["d_step", "g_step"]


def d_step(G, D, g_opt, d_opt, real, z, loss="non_saturating", *, logits=False, gp_weight=10.0, clip=0.01,
           generator=None):
    """One discriminator update on a real batch ``(n, d)`` and noise ``z`` ``(n, noise_dim)``; returns D's loss."""
    scoring = losses.get(loss)
    d_opt.zero_grad()                       # gradients add up until zeroed
    fake = G(z).detach()                    # D's labels must not train G
    d_real, d_fake = D(real), D(fake)
    d_loss = scoring.d_loss(d_real, d_fake, logits)                  # BCE: real -> 1, fake -> 0
    if scoring.penalty == "gradient":
        d_loss = d_loss + losses.one_sided_penalty(D, real, fake, gp_weight, generator)
    d_loss.backward()
    d_opt.step()                            # D only
    if scoring.penalty == "clip":
        _clamp(D, clip)
    return d_loss.item()


def g_step(G, D, g_opt, d_opt, z, loss="non_saturating", *, logits=False):
    """One generator update on noise ``z`` ``(n, noise_dim)``; returns G's loss."""
    scoring = losses.get(loss)
    g_opt.zero_grad()
    d_fake = D(G(z))                        # no detach here
    g_loss = scoring.g_loss(d_fake, logits)                          # non-saturating: BCE(D(G(z)), 1)
    g_loss.backward()
    g_opt.step()                            # G only: D is held fixed
    return g_loss.item()


@torch.no_grad()
def _clamp(D, clip):
    for p in D.parameters():
        p.clamp_(-clip, clip)
