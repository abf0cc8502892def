"""fit(): recipes that fit, errors that explain, runs that survive faults."""
import math
import pickle

import numpy as np
import pytest
import torch

import gan_lesson as gl
from gan_lesson import samplers
from gan_lesson.maths.metrics import distance

SGD_SETUP = gl.RECIPES["modern"].replace(optimizer="sgd", momentum=0.9)


@pytest.fixture(scope="module")
def modern_run():
    return gl.fit(samplers.Gaussian(4, 1.25), seed=0, progress=False)


@pytest.mark.slow
def test_modern_recipe_fits_the_gaussian(modern_run):
    assert modern_run.status == "finished"
    assert modern_run.epochs_done == 800
    d = modern_run.distance(n=20_000)
    assert d < 0.1, f"Wasserstein-1 to N(4, 1.25²) was {d:.3f}"
    x = modern_run.sample(20_000, seed=1)
    assert x.shape == (20_000, 1)
    assert abs(x.mean().item() - 4) < 0.1 and abs(x.std().item() - 1.25) < 0.1


@pytest.mark.slow
def test_modern_recipe_fits_a_correlated_2d_target():
    target = samplers.Gaussian2D()
    result = gl.fit(target, seed=0, progress=False)
    x = result.sample(20_000, seed=0)
    assert x.shape == (20_000, 2)
    assert torch.allclose(torch.cov(x.T), target.cov, rtol=0.15)
    assert torch.allclose(x.mean(0), target.mean, atol=0.1)
    assert result.distance(n=20_000) < 0.15


@pytest.mark.slow
def test_modern_recipe_fits_a_skewed_bounded_target_with_numpy_output():
    rng = np.random.default_rng(0)
    result = gl.fit(lambda n: rng.exponential(2.0, size=(n, 1)) + 10, seed=0, progress=False)
    x = result.sample(20_000, seed=0).numpy().ravel()
    assert distance(x, rng.exponential(2.0, size=20_000) + 10) < 0.15


@pytest.mark.slow
def test_classic_recipe_moves_the_generator_towards_the_target():
    # the classic settings learn slowly (SGD at 2e-4): over 250 epochs the generated mean climbs
    # from about 0.3 towards 4 and the distance falls steadily
    result = gl.fit(samplers.Gaussian(4, 1.25), recipe="classic", epochs=250, seed=0, progress=False)
    h = result.history
    assert h.distance[0] > 3.0                  # the untrained generator sits near 0
    assert h.distance[-1] < h.distance[0] - 0.05, h.distance
    assert all(b < a for a, b in zip(h.distance[2:], h.distance[3:])), h.distance   # steadily closer
    assert h.fake_mean[-1] > h.fake_mean[0] + 0.05, h.fake_mean
    assert result.recipe.lr_d == 2e-4 and result.recipe.d_steps == 20 and result.recipe.batch_size == 500


@pytest.mark.parametrize("features", ["raw", "data_and_variances", "data_and_diffs"])
def test_classic_runs_with_every_batch_variant(features):
    result = gl.fit(samplers.Gaussian(), recipe="classic", epochs=3, features=features, progress=False)
    assert result.status == "finished"
    assert result.discriminator(result.sample(500)).shape == (1, 1)


@pytest.mark.parametrize("loss", gl.losses.LOSSES)
def test_every_loss_trains_without_error(loss):
    result = gl.fit(samplers.Gaussian(), epochs=30, loss=loss, progress=False)
    assert result.status == "finished"
    assert len(result.history) == 3
    assert math.isnan(result.history.loss_d[0])            # nothing measured before the first step
    assert all(math.isfinite(v) for v in result.history.loss_d[1:])


def test_history_and_snapshots(modern_run):
    h = modern_run.history
    assert h.epoch[0] == 0 and h.epoch[-1] == 800
    assert len(h) == len(modern_run.snapshots) == 41
    assert h.distance[-1] < h.distance[0]
    assert 0.3 < h.d_real[-1] < 0.7 and 0.3 < h.d_fake[-1] < 0.7   # D is fooled about half the time
    assert 0.8 < h.spread[-1] < 1.2
    epoch, samples = modern_run.snapshots[-1]
    assert epoch == 800 and samples.shape == (2000, 1)


def test_same_seed_same_weights_different_seed_different():
    target = samplers.Gaussian()
    a = gl.fit(target, epochs=40, seed=5, progress=False)
    b = gl.fit(target, epochs=40, seed=5, progress=False)
    c = gl.fit(target, epochs=40, seed=6, progress=False)
    for (k, va), vb in zip(a.generator.state_dict().items(), b.generator.state_dict().values()):
        assert torch.equal(va, vb), k
    assert not torch.equal(a.generator.net.net[0].weight, c.generator.net.net[0].weight)


def test_fit_leaves_global_random_state_alone():
    torch.manual_seed(123)
    np.random.seed(123)
    expected_t, expected_n = torch.rand(1), np.random.rand()
    torch.manual_seed(123)
    np.random.seed(123)
    gl.fit(samplers.Gaussian(), epochs=5, progress=False)
    assert torch.equal(torch.rand(1), expected_t) and np.random.rand() == expected_n


def test_callback_sees_progress_and_can_stop():
    seen = []

    def callback(state):
        seen.append(state.epoch)
        assert state.samples.shape == (2000, 1) and state.epochs == 200
        return state.epoch < 60

    result = gl.fit(samplers.Gaussian(), epochs=200, callback=callback, progress=False)
    assert seen == [0, 20, 40, 60]
    assert result.status == "stopped" and result.epochs_done == 60
    assert "Stopped by the callback at epoch 60" in result.message


def test_interrupt_keeps_what_was_trained(capsys):
    def interrupt(state):
        if state.epoch == 100:
            raise KeyboardInterrupt

    result = gl.fit(samplers.Gaussian(), epochs=400, callback=interrupt, progress=True)
    assert result.status == "interrupted"
    assert result.epochs_done == 100          # raised at epoch 100's record: its steps were all done
    assert "interrupted after epoch 100 of 400" in result.message
    assert "interrupted after epoch 100 of 400" in capsys.readouterr().out
    x = result.sample(100)
    assert torch.isfinite(x).all()
    assert result.history.distance[-1] < result.history.distance[0]   # it did learn something


def test_divergence_stops_with_an_explanation(capsys):
    result = gl.fit(samplers.Gaussian(), recipe=SGD_SETUP, lr_d=10, lr_g=10, epochs=200, progress=True)
    assert result.status == "diverged"
    assert result.epochs_done < 10
    msg = result.message
    assert "loss became nan" in msg and "learning rates are too high" in msg and "lr_d=10" in msg
    assert msg in capsys.readouterr().out
    assert all(torch.isfinite(p).all() for p in result.generator.parameters())


def test_a_target_that_turns_nan_is_blamed():
    calls = {"n": 0}

    def flaky(n):
        calls["n"] += 1
        x = torch.randn(n, 1)
        return x * float("nan") if calls["n"] > 40 else x

    result = gl.fit(flaky, epochs=100, progress=False)
    assert result.status == "diverged"
    assert "target returned NaN or infinite samples" in result.message


def test_save_and_load_round_trip(modern_run, tmp_path):
    path = modern_run.save(tmp_path / "run.pt")
    back = gl.load(path)
    assert torch.equal(back.sample(50, seed=3), modern_run.sample(50, seed=3))
    np.testing.assert_equal(back.history.as_dict(), modern_run.history.as_dict())   # NaN == NaN here
    assert back.recipe == modern_run.recipe and back.status == "finished"
    assert len(back.snapshots) == len(modern_run.snapshots)
    x = torch.linspace(0, 8, 9).unsqueeze(1)
    assert torch.allclose(back.discriminator(x), modern_run.discriminator(x))


class _Boom:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_load_refuses_code_and_foreign_files(tmp_path, capsys):
    evil = tmp_path / "evil.pt"
    torch.save({"format": "gan-lesson/fit-result", "payload": _Boom()}, evil)
    with pytest.raises(ValueError, match="refuses to run code"):
        gl.load(evil)
    assert "this must never run" not in capsys.readouterr().out
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="is not a gan-lesson result"):
        gl.load(text)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(ValueError, match="not written by FitResult.save"):
        gl.load(other)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gl.load(tmp_path / "missing.pt")


@pytest.mark.parametrize("kwargs, error, message", [
    ({"lr_d": -0.1}, ValueError, r"lr_d must be a finite number > 0 and <= 10; got -0.1"),
    ({"lr_g": float("nan")}, ValueError, r"lr_g must be a finite number > 0 and <= 10; got nan"),
    ({"lr_d": "fast"}, TypeError, r"lr_d must be a number; got 'fast'"),
    ({"epochs": 0}, ValueError, r"epochs must be a whole number from 1 to 1000000; got 0"),
    ({"epochs": 2.5}, TypeError, r"epochs must be a whole number; got 2.5"),
    ({"batch_size": 1}, ValueError, r"batch_size must be a whole number from 2 to 65536; got 1"),
    ({"d_steps": 0}, ValueError, r"d_steps must be a whole number from 1 to 1000; got 0"),
    ({"recipe": "fancy"}, ValueError, r"recipe must be one of 'classic', 'modern'; got 'fancy'"),
    ({"loss": "hinge"}, ValueError, r"loss must be one of 'non_saturating', .*; got 'hinge'"),
    ({"features": "fft"}, ValueError, r"features must be one of 'per_sample', .*; got 'fft'"),
    ({"seed": -1}, ValueError, r"seed must be a whole number from 0 to 2147483647; got -1"),
    ({"callback": 3}, TypeError, r"callback must be a function; got 3"),
    ({"progress": "yes"}, TypeError, r"progress must be True or False"),
])
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        gl.fit(samplers.Gaussian(), **kwargs)


@pytest.mark.parametrize("target, error, message", [
    (5, TypeError, r"target must be a sampler.*got 5 of type int, which cannot be called"),
    (lambda n: [0.0] * n, TypeError, r"target must return a tensor or numpy array.*returned list"),
    (lambda n: torch.zeros(n - 1, 1), ValueError, r"target must return n rows; target\(512\) returned 511 rows"),
    (lambda n: torch.zeros(n, 1, 1), ValueError, r"target must return shape \(n, d\); target\(512\) returned shape \(512, 1, 1\)"),
    (lambda n: torch.full((n, 1), float("inf")), ValueError, r"target returned NaN or infinite values"),
])
def test_bad_targets_are_explained(target, error, message):
    with pytest.raises(error, match=message):
        gl.fit(target, progress=False)


def test_a_data_set_can_be_the_target():
    data = torch.randn(3000, 1) * 2 + 1
    result = gl.fit(data, epochs=50, progress=False)
    assert result.sample(10).shape == (10, 1)


def test_recipe_replace_rejects_unknown_settings():
    with pytest.raises(TypeError, match="unknown recipe setting"):
        gl.RECIPES["modern"].replace(warp_drive=True)


@pytest.mark.slow
def test_wasserstein_gp_fits_a_1d_target():
    # the one-sided penalty lets the 1-D critic turn its slope around (the two-sided one got stuck)
    result = gl.fit(samplers.Gaussian(4, 1.25), loss="wasserstein_gp", seed=0, progress=False)
    assert result.distance(n=20_000) < 0.3
