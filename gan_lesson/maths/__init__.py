"""The mathematics of a GAN, with no training in it.

``samplers`` (the real data and the noise; what counts as a target) → ``features`` (what the
discriminator is shown) → ``models`` (the generator and the discriminator) → ``losses`` (the
registry of GAN losses, the gradient penalty) → ``metrics`` (how far the generated samples are
from the real ones).
"""
from . import features, losses, metrics, models, samplers

__all__ = ["samplers", "features", "models", "losses", "metrics"]
