"""The image pieces: the DCGAN-style pair, grids and snapshots, and the digit score."""
import math

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


def test_score_is_digits_overall_over_digits_per_image():
    real, _ = images.held_out_digits()
    s_real = images.digit_score(real)
    assert abs(s_real.digits_overall - 9.9696) < 1e-3            # the 597 are not exactly ten equal shares
    assert abs(s_real.digits_per_image - 1.1081) < 1e-3          # the classifier is nearly sure of each
    assert abs(s_real.digits_overall / s_real.digits_per_image - s_real.inception) < 1e-9
    s_one = images.digit_score(real[:1].repeat(500, 1, 1, 1))
    assert abs(s_one.digits_overall - s_one.digits_per_image) < 1e-9   # one picture: as many overall as in it


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


# --------------------------------------------------------------------------- memorisation

def test_a_copy_is_at_distance_zero_and_one_pixel_of_ink_at_two(digits):
    near = images.nearest_training(digits[[5, 17, 900]])
    assert near.distance.tolist() == [0.0, 0.0, 0.0] and near.index.tolist() == [5, 17, 900]
    changed = digits[5:6].clone()
    changed[0, 0, 0, 0] = 1.0                            # that corner pixel is paper (−1) in digit 5: now full ink
    assert float(digits[5, 0, 0, 0]) == -1.0
    near = images.nearest_training(changed)
    assert near.index.tolist() == [5] and near.distance.tolist() == [2.0]


def test_leave_one_out_compares_each_real_digit_with_the_others(digits):
    near = images.nearest_training(digits, leave_one_out=True)
    assert near.distance.shape == (1797,) and near.index.shape == (1797,)
    assert not bool((near.index == torch.arange(1797)).any())          # never itself
    assert int(near.distance.argmin()) == 1585 and int(near.index[1585]) == 1648
    assert abs(float(near.distance.min()) - 0.6614) < 1e-4             # the closest pair of real digits
    assert abs(float(near.distance.median()) - 2.0156) < 1e-4
    assert "min 0.66, median 2.02" in repr(near)


def test_noise_is_far_from_every_digit_and_a_training_set_can_be_given(digits):
    noise = torch.rand(200, 1, 8, 8, generator=torch.Generator().manual_seed(3)) * 2 - 1
    near = images.nearest_training(noise)                               # default: the 1797 digits
    assert abs(float(near.distance.min()) - 5.808) < 1e-3 and abs(float(near.distance.median()) - 7.105) < 1e-3
    few = images.nearest_training(noise, digits[:10], batch=7)         # any training set, in small blocks
    assert int(few.index.max()) < 10 and bool((few.distance >= near.distance).all())
    assert torch.equal(images.nearest_training(noise, digits[:10]).distance, few.distance)


@pytest.mark.parametrize("call, error, words", [
    (lambda d: images.nearest_training(d[:3], torch.zeros(4, 1, 16, 16)), ValueError,
     r"images and training must be pictures of the same shape .* got \(1, 8, 8\) and \(1, 16, 16\)"),
    (lambda d: images.nearest_training(d[:3], d[:4], leave_one_out=True), ValueError,
     "images must be the training set itself, row for row; got 3 images and 4 training pictures"),
    (lambda d: images.nearest_training(d[:3], d[3:6], leave_one_out=True), ValueError, "3 training pictures that differ"),
    (lambda d: images.nearest_training(d[:1], d[:1], leave_one_out=True), ValueError, "at least 2 training pictures"),
    (lambda d: images.nearest_training(d[:3], leave_one_out="yes"), TypeError, "leave_one_out must be True or False"),
    (lambda d: images.nearest_training(d[:3], batch=0), ValueError, "batch must be a whole number >= 1"),
    (lambda d: images.nearest_training("digits"), TypeError, "images must be a tensor or array of pixels"),
])
def test_nearest_training_argument_checks(digits, call, error, words):
    with pytest.raises(error, match=words):
        call(digits)


# --------------------------------------------------------------------------- the training loop

def _small_pair(seed=0, size=8, width=8, noise_dim=6):
    G = images.ImageGenerator(noise_dim=noise_dim, size=size, width=width, seed=seed)
    D = images.ImageDiscriminator(size=size, width=width, seed=seed + 1)
    return G, D


def _flat(module):
    return torch.cat([p.detach().reshape(-1) for p in module.parameters()])


@pytest.fixture
def few(digits):
    return digits[:64]


def test_train_trains_your_own_modules_in_place_and_samples_from_them(few):
    G, D = _small_pair()
    g0, d0 = _flat(G).clone(), _flat(D).clone()
    result = images.train(G, D, data=few, epochs=2, batch_size=16, seed=0, progress=False)
    assert result.G is G and result.D is D and result.status == "finished" and result.epochs == 2
    assert float((_flat(G) - g0).abs().max()) > 1e-3 and float((_flat(D) - d0).abs().max()) > 1e-3
    z = torch.randn(5, 6, generator=torch.Generator().manual_seed(3))
    assert torch.equal(result.sample(5, seed=3), images.generate(G, noise=z))
    assert torch.equal(result.snapshots[-1][1], images.generate(G, noise=result.fixed_noise))   # G holds the average
    assert result.history["score"][-1] == pytest.approx(result.score().inception)
    assert "finished: 2 epochs" in repr(result)


def test_train_records_one_row_an_epoch(few):
    G, D = _small_pair()
    result = images.train(G, D, data=few, epochs=3, batch_size=16, seed=0, progress=False)
    h = result.history
    assert set(h) == {"epoch", "loss_d", "loss_g", "d_real", "d_fake", "score", "confident", "evenness", "seconds"}
    assert h["epoch"] == [1, 2, 3] and {len(v) for v in h.values()} == {3}
    assert all(0 < p < 1 for p in h["d_real"] + h["d_fake"]) and all(s >= 1 for s in h["score"])
    assert h["seconds"] == sorted(h["seconds"])
    assert [e for e, _ in result.snapshots] == [0, 1, 2, 3] and result.snapshots[0][1].shape == (64, 1, 8, 8)


def test_without_a_step_train_uses_the_library_steps(monkeypatch, few):
    calls = []
    real_d, real_g = images.steps.d_step, images.steps.g_step

    def d_step(G, D, g_opt, d_opt, real, z, loss, *, logits):
        calls.append(("d", loss, logits, tuple(real.shape), z))
        return real_d(G, D, g_opt, d_opt, real, z, loss, logits=logits)

    def g_step(G, D, g_opt, d_opt, z, loss, *, logits):
        assert calls[-1][0] == "d" and calls[-1][4] is z          # G's step right after D's, on the same noise
        calls.append(("g", loss, logits, None, z))
        return real_g(G, D, g_opt, d_opt, z, loss, logits=logits)

    monkeypatch.setattr(images.steps, "d_step", d_step)
    monkeypatch.setattr(images.steps, "g_step", g_step)
    G, D = _small_pair()
    images.train(G, D, data=few, epochs=2, batch_size=16, seed=0, progress=False)
    assert len(calls) == 2 * 2 * 4
    assert {c[1] for c in calls} == {"non_saturating"} and {c[2] for c in calls} == {True}
    assert {c[3] for c in calls if c[0] == "d"} == {(16, 1, 8, 8)}
    G, D = _small_pair()
    D = nn.Sequential(*D.net, nn.Sigmoid())                       # a D that returns probabilities
    calls.clear()
    images.train(G, D, data=few, epochs=1, batch_size=16, seed=0, progress=False)
    assert {c[2] for c in calls} == {False}


def test_your_step_gets_every_batch_once_an_epoch_and_fresh_noise(few):
    seen = []

    def train_step(G, D, g_opt, d_opt, real, z):
        seen.append((real.clone(), z.clone()))
        return images._library_step(True)(G, D, g_opt, d_opt, real, z)

    G, D = _small_pair()
    images.train(G, D, train_step=train_step, data=few, epochs=2, batch_size=16, seed=0, progress=False)
    assert len(seen) == 8 and all(r.shape == (16, 1, 8, 8) and z.shape == (16, 6) for r, z in seen)
    first_epoch = torch.cat([r for r, _ in seen[:4]]).reshape(64, -1)
    assert torch.allclose(first_epoch.sum(0), few.reshape(64, -1).sum(0))          # each picture once
    assert not torch.equal(first_epoch, few.reshape(64, -1))                         # in shuffled order
    assert not torch.equal(seen[0][1], seen[1][1])


def test_the_same_seed_trains_the_same_networks(few):
    runs = []
    for _ in range(2):
        G, D = _small_pair()
        runs.append(images.train(G, D, data=few, epochs=2, batch_size=16, seed=5, progress=False))
    assert runs[0].history["loss_d"] == runs[1].history["loss_d"]
    assert torch.equal(_flat(runs[0].G), _flat(runs[1].G))


def test_ema_zero_keeps_g_itself_and_ema_averages(few):
    G, D = _small_pair()
    plain = images.train(G, D, data=few, epochs=2, batch_size=16, seed=0, ema=0, progress=False)
    G2, D2 = _small_pair()
    averaged = images.train(G2, D2, data=few, epochs=2, batch_size=16, seed=0, progress=False)
    assert plain.history["loss_d"] == averaged.history["loss_d"]          # the same game ...
    assert not torch.equal(_flat(plain.G), _flat(averaged.G))             # ... but G ends up holding the average


def test_a_time_budget_stops_after_the_epoch_under_way(few, capsys):
    G, D = _small_pair()
    result = images.train(G, D, data=few, seconds=0.05, batch_size=16, seed=0)
    assert result.status == "finished" and result.epochs >= 1
    out = capsys.readouterr().out
    assert f"image GAN: {result.epochs} epoch" in out and "· score" in out


def test_other_pictures_train_without_a_score(tmp_path):
    x = torch.rand(40, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    G = images.ImageGenerator(noise_dim=4, size=16, channels=3, width=4, seed=0)
    D = images.ImageDiscriminator(size=16, channels=3, width=4, seed=1)
    result = images.train(G, D, data=x, epochs=2, batch_size=8, seed=0, progress=False)
    assert result.sample(3).shape == (3, 3, 16, 16)
    assert all(math.isnan(s) for s in result.history["score"]) and "score" not in repr(result)


def test_own_folder_of_pictures_trains(tmp_path, digits):
    from PIL import Image
    folder = tmp_path / "pictures"
    folder.mkdir()
    for k, digit in enumerate(digits[:20, 0]):
        paper = ((1 - digit.numpy()) * 127.5).astype("uint8")
        Image.fromarray(paper).resize((16, 16)).save(folder / f"p{k:02d}.png")
    pictures = data.load_image_folder(folder, size=16)
    assert pictures.shape == (20, 1, 16, 16)
    G = images.ImageGenerator(noise_dim=8, size=16, width=8, seed=0)
    D = images.ImageDiscriminator(size=16, width=8, seed=1)
    g0 = _flat(G).clone()
    result = images.train(G, D, data=pictures, epochs=3, batch_size=8, seed=0, progress=False)
    assert result.status == "finished" and result.epochs == 3 and float((_flat(G) - g0).abs().max()) > 1e-3
    assert result.sample(6).shape == (6, 1, 16, 16)


def test_noise_width_is_read_from_the_first_layer():
    assert images.noise_width(images.ImageGenerator(noise_dim=7)) == 7
    assert images.noise_width(nn.Sequential(nn.Unflatten(1, (5, 1, 1)), nn.ConvTranspose2d(5, 1, 8))) == 5
    assert images.noise_width(nn.Sequential(nn.Linear(9, 64), nn.Unflatten(1, (1, 8, 8)))) == 9
    assert images.noise_width(nn.Sequential(nn.Tanh())) is None


def _step_returning(value):
    def train_step(G, D, g_opt, d_opt, real, z):
        images._library_step(True)(G, D, g_opt, d_opt, real, z)
        return value
    return train_step


@pytest.mark.parametrize("change, error, words", [
    (dict(generator=lambda z: z), TypeError, r"generator must be a torch.nn.Module .*function <lambda>. Call the"),
    (dict(discriminator=images.ImageDiscriminator), TypeError, r"got the class ImageDiscriminator itself"),
    (dict(discriminator=3), TypeError, r"discriminator must be a torch.nn.Module \(a network\); got 3"),
    (dict(train_step=lambda G, D, real: 0), TypeError, r"called as train_step\(G, D, g_opt, d_opt, real, z\)"),
    (dict(train_step="step"), TypeError, "train_step must be a function"),
    (dict(data=torch.full((10, 1, 8, 8), 16.0)), ValueError, "raw 0–16 digits"),
    (dict(data=torch.zeros(10, 8, 8)), ValueError, r"shape \(n, channels, size, size\)"),
    (dict(data=[[0.0]]), TypeError, "data must be a float tensor"),
    (dict(batch_size=100), ValueError, r"batch_size must be at most the number of pictures \(64\)"),
    (dict(epochs=0), ValueError, "epochs must be a whole number >= 1"),
    (dict(seconds=-1), ValueError, "seconds must be"),
    (dict(g_opt="adam"), ValueError, "give both g_opt and d_opt"),
    (dict(betas=0.5), ValueError, r"betas must be two numbers"),
    (dict(ema=1.0), ValueError, "ema must be"),
    (dict(data=torch.zeros(20, 1, 16, 16)), ValueError, r"makes pictures of shape \(1, 8, 8\), but the data are "
                                                         r"\(1, 16, 16\)"),
    (dict(noise_dim=3), ValueError, r"could not be run on noise of shape \(2, 3\)"),
    (dict(discriminator=nn.Sequential(nn.Conv2d(1, 2, 8), nn.Flatten())), ValueError,
     r"one score per picture, shape \(n, 1\); for 2 pictures it returned shape \(2, 2\)"),
    (dict(train_step=_step_returning(0.5)), TypeError, r"must return D's loss and G's loss as two numbers"),
    (dict(train_step=_step_returning((torch.ones(3), 1.0))), TypeError, "two numbers"),
])
def test_train_argument_checks(few, change, error, words):
    G, D = _small_pair()
    kwargs = dict(generator=G, discriminator=D, data=few, epochs=1, batch_size=16, progress=False)
    kwargs.update(change)
    with pytest.raises(error, match=words):
        images.train(**kwargs)


class _PlainGenerator(nn.Module):
    """A generator whose first layer says nothing about its noise: (n, 64) -> (n, 1, 8, 8)."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(64, 64, generator=torch.Generator().manual_seed(0)) * 0.1)

    def forward(self, z):
        return torch.tanh(z @ self.w).reshape(-1, 1, 8, 8)


def test_train_needs_the_noise_width_when_g_does_not_say(few):
    G = _PlainGenerator()
    D = images.ImageDiscriminator(width=4)
    with pytest.raises(ValueError, match="pass noise_dim"):
        images.train(G, D, data=few, epochs=1, batch_size=16, progress=False)
    result = images.train(G, D, data=few, noise_dim=64, epochs=1, batch_size=16, progress=False)
    assert result.noise_dim == 64


def test_your_own_optimizers_are_used(few):
    G, D = _small_pair()
    g_opt, d_opt = torch.optim.SGD(G.parameters(), lr=0.0), torch.optim.SGD(D.parameters(), lr=0.0)
    g0, d0 = _flat(G).clone(), _flat(D).clone()
    images.train(G, D, data=few, epochs=1, batch_size=16, ema=0, g_opt=g_opt, d_opt=d_opt, progress=False)
    assert torch.equal(_flat(G), g0) and torch.equal(_flat(D), d0)        # learning rate 0: nothing moved


def test_a_generator_outside_minus_one_to_one_trains_without_a_score(few):
    G = nn.Sequential(nn.Linear(6, 64), nn.Unflatten(1, (1, 8, 8)))          # no tanh: any value
    with torch.no_grad():
        G[0].bias.fill_(3.0)
    D = images.ImageDiscriminator(width=8, seed=1)
    with pytest.warns(UserWarning, match=r"no digit score from epoch 1 on: G's pictures run from .* \(end G with ") as said:
        result = images.train(G, D, data=few, epochs=2, batch_size=16, progress=False)
    assert len(said) == 1 and said[0].filename == __file__                # once, pointing at the call
    assert result.status == "finished" and all(math.isnan(s) for s in result.history["score"])
