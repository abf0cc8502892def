"""The image pieces: the DCGAN-style pair, grids and snapshots, and the digit score."""
import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from gan_lesson import data, images


@pytest.fixture(scope="module")
def digits():
    return data.load_digits()[0]


# --------------------------------------------------------------------------- the networks

@pytest.mark.parametrize("size", [4, 8, 16, 32])
def test_pair_shapes_for_every_size(size):
    G = images.ImageGenerator(noise_dim=5, size=size, channels=3, width=8, seed=0)
    D = images.ImageDiscriminator(size=size, channels=3, width=8, seed=0)
    x = G(torch.randn(6, 5)).detach()
    assert x.shape == (6, 3, size, size)
    assert float(x.abs().max()) <= 1.0
    assert D(x).shape == (6, 1)


def test_digit_pair_follows_the_dcgan_layout():
    G, D = images.ImageGenerator(seed=0), images.ImageDiscriminator(seed=0)
    assert [s for _, s in images.spatial_sizes(G, torch.randn(3, 16))] == [(3, 64, 2, 2), (3, 32, 4, 4), (3, 1, 8, 8)]
    assert [s for _, s in images.spatial_sizes(D, torch.zeros(3, 1, 8, 8))] == [(3, 32, 4, 4), (3, 64, 2, 2),
                                                                                (3, 1, 1, 1)]
    assert isinstance(G.net[-1], nn.Tanh)
    assert sum(isinstance(m, nn.ConvTranspose2d) for m in G.modules()) == 3
    assert sum(isinstance(m, nn.BatchNorm2d) for m in G.modules()) == 2
    convs = [m for m in D.modules() if isinstance(m, nn.Conv2d)]
    assert [m.stride for m in convs] == [(2, 2), (2, 2), (1, 1)]
    assert not any(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) for m in D.modules())
    assert any(isinstance(m, nn.LeakyReLU) and m.negative_slope == 0.2 for m in D.modules())
    assert not isinstance(D.net[1], nn.BatchNorm2d)          # no batch norm on D's first layer
    assert D.outputs_logits
    assert "1×8×8" in repr(G) and "tanh" in repr(G) and "logit" in repr(D)


def test_weights_start_from_n_0_002_and_seed_repeats_them():
    G = images.ImageGenerator(width=64, seed=3)
    w = torch.cat([m.weight.flatten() for m in G.modules() if isinstance(m, nn.ConvTranspose2d)])
    w = w.detach()
    assert abs(float(w.std()) - 0.02) < 0.002 and abs(float(w.mean())) < 0.002
    bn = torch.cat([m.weight for m in G.modules() if isinstance(m, nn.BatchNorm2d)]).detach()
    assert abs(float(bn.mean()) - 1) < 0.01
    again = images.ImageGenerator(width=64, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(G.state_dict().values(), again.state_dict().values()))


def test_sigmoid_discriminator_returns_probabilities(digits):
    D = images.ImageDiscriminator(sigmoid=True, seed=0)
    p = D(digits[:10]).detach()
    assert not D.outputs_logits and float(p.min()) > 0 and float(p.max()) < 1


@pytest.mark.parametrize("make, error, words", [
    (lambda: images.ImageGenerator(size=12), ValueError, "size must be a power of two"),
    (lambda: images.ImageGenerator(size=2), ValueError, "size must be a whole number from 4 to 256"),
    (lambda: images.ImageGenerator(noise_dim=0), ValueError, "noise_dim must be a whole number >= 1"),
    (lambda: images.ImageDiscriminator(batch_norm="no"), TypeError, "batch_norm must be True or False"),
    (lambda: images.ImageGenerator()(torch.randn(4, 3)), ValueError, r"expects noise of shape \(n, 16\)"),
    (lambda: images.ImageDiscriminator()(torch.randn(4, 8, 8)), ValueError, r"expects images of shape \(n, 1, 8, 8\)"),
    (lambda: images.init_weights("G"), TypeError, "module must be a torch.nn.Module"),
])
def test_argument_checks(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_generate_is_seeded_and_restores_the_mode():
    G = images.ImageGenerator(seed=0)
    G.train()
    a, b = images.generate(G, 10, seed=1), images.generate(G, 10, seed=1)
    assert torch.equal(a, b) and a.shape == (10, 1, 8, 8) and not a.requires_grad
    assert G.training
    z = torch.randn(4, 16)
    assert torch.equal(images.generate(G, noise=z), images.generate(G, noise=z))
    with pytest.raises(ValueError, match="pass the noise itself"):
        images.generate(nn.Identity(), 3)


# --------------------------------------------------------------------------- pictures

def test_to_grid_tiles_with_padding_and_label_space(digits):
    grid = images.to_grid(digits[:10], nrow=5, pad=1)
    assert grid.shape == (2 * 9 + 1, 5 * 9 + 1)
    assert (grid[0] == -1).all()                              # the padding is background
    assert (grid[1:9, 1:9] == digits[0, 0].numpy()).all()
    assert images.to_grid(digits[:10], nrow=5, pad=1, label_space=4).shape == (2 * 13 + 1, 46)
    assert images.to_grid(torch.zeros(4, 3, 8, 8)).shape == (19, 19, 3)


def test_image_grid_draws_titled_axes_with_labels(digits):
    ax = images.image_grid(digits[:12], nrow=6, labels=list("abcdefghijkl"), title="Some digits")
    assert ax.get_title() == "Some digits" and len(ax.texts) == 12 and len(ax.images) == 1
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="one text per image"):
        images.image_grid(digits[:3], labels=["a"])
    with pytest.raises(ValueError, match=r"shape \(n, 1, h, w\)"):
        images.image_grid(torch.zeros(2, 5, 8, 8))
    ax = images.image_grid(torch.rand(4, 3, 16, 16) * 2 - 1)    # colour pictures
    plt.close(ax.figure)


def test_snapshot_strip_and_scrubber(digits):
    snaps = [(e, digits[e:e + 36]) for e in range(8)]
    fig = images.snapshot_strip(snaps, count=4, unit="epoch")
    assert len(fig.axes) == 4 and fig.axes[-1].get_title() == "epoch 7"
    plt.close(fig)
    box = images.snapshot_scrubber(snaps, captions=[f"caption {e}" for e in range(8)], unit="epoch")
    assert box.slider.value == 7 and box.image.value[:4] == b"\x89PNG" and "caption 7" in box.caption.value
    last = box.image.value
    box.slider.value = 0                                       # observers fire at once headless
    assert box.image.value != last and "caption 0" in box.caption.value
    with pytest.raises(ValueError, match="one text per snapshot"):
        images.snapshot_scrubber(snaps, captions=["x"])
    with pytest.raises(ValueError, match="non-empty list"):
        images.snapshot_strip([])


# --------------------------------------------------------------------------- the score

def test_classifier_is_accurate_cached_and_leaves_rng_alone():
    state = torch.get_rng_state()
    judge = images.digit_classifier()
    assert torch.equal(state, torch.get_rng_state())
    assert judge is images.digit_classifier()
    assert judge.accuracy > 0.95
    x, y = images.held_out_digits()
    assert x.shape == (597, 1, 8, 8) and y.shape == (597,)


def test_score_scale_real_noise_one_digit():
    real, _ = images.held_out_digits()
    noise = torch.rand(1000, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    s_real = images.digit_score(real)
    s_noise = images.digit_score(noise)
    s_one = images.digit_score(real[:1].repeat(500, 1, 1, 1))
    assert 8.5 < s_real.inception <= 10 and s_real.evenness > 0.99 and s_real.confident > 0.85
    assert 1.5 < s_noise.inception < 3.5 and s_noise.confident < 0.1
    assert s_one.confident == 1.0 and s_one.evenness == 0.0 and abs(s_one.inception - 1) < 1e-6
    assert sum(s_real.counts) == 597 and len(s_real.counts) == 10
    assert "classifier score" in str(s_real) and "n = 597" in str(s_real)


def test_score_accepts_other_layouts_and_untrained_g_scores_low():
    real, _ = images.held_out_digits()
    a = images.digit_score(real)
    assert images.digit_score(real[:, 0]) == a
    assert images.digit_score(real.reshape(-1, 64).numpy()) == a
    fog = images.generate(images.ImageGenerator(seed=0), 500)
    assert images.digit_score(fog).inception < 1.5


@pytest.mark.parametrize("batch, kwargs, words", [
    (torch.zeros(5, 1, 16, 16), {}, r"8×8 greyscale digits"),
    (torch.full((5, 1, 8, 8), 16.0), {}, "raw 0–16 scale"),
    (torch.full((5, 1, 8, 8), float("nan")), {}, "NaN"),
    (torch.zeros(5, 1, 8, 8), {"threshold": 1.0}, "threshold must be a finite number > 0 and < 1"),
])
def test_score_argument_checks(batch, kwargs, words):
    with pytest.raises(ValueError, match=words):
        images.digit_score(batch, **kwargs)
