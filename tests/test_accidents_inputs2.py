"""More accidents with inputs, one test per accident a tester found: each reproduces the accident
first, then checks the clear message (and that correct input still works)."""
import io
import signal
import sys
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import gan_lesson as gl
from gan_lesson import metrics, models, samplers as S
from gan_lesson.checks import check_mixture_sampler, check_series_losses, core
from gan_lesson.checks.core import call, checker, expect


# 1. a data set on its side: 2 rows of 600 numbers would train a 600-D GAN on 2 samples
def test_empirical_refuses_a_table_with_fewer_rows_than_columns():
    sideways = S.Empirical(np.random.randn(2, 600))
    with pytest.raises(ValueError, match=r"data: a data set has one sample per row, and this one has 2 rows of 600 "
                                         r"numbers.*pass data\.T \(shape \(600, 2\)\)"):
        gl.fit(sideways)
    with pytest.raises(ValueError, match=r"data\.reshape\(-1, 1\)"):
        S.Empirical(np.arange(5.0)[None])(3)
    assert S.Empirical(np.random.randn(600, 2))(7).shape == (7, 2)


# 2. Gaussian(1e8, 1): float32 rounds the spread away (std 8, not 1), training "finishes" at 0
@pytest.mark.parametrize("make, names", [
    (lambda: S.Gaussian(1e8, 1), r"mean=100000000 with std=1"),
    (lambda: S.Uniform(1e8, 1e8 + 1), r"low=100000000, high=100000001"),
    (lambda: S.Mixture((1e8, 1e8 + 10), 1), r"means\[0\]=100000000 with stds\[0\]=1"),
    (lambda: S.Gaussian2D(b=(0.0, 1e8)), r"b\[1\]=1e\+08"),
    (lambda: S.Gamma(loc=1e9), r"loc=1e\+09"),
    (lambda: S.Sequences(1e8, 1e8 + 1), r"low=100000000, high=100000001"),
])
def test_samplers_refuse_a_spread_float32_cannot_hold(make, names):
    with pytest.raises(ValueError, match=names + r".*: float32 .* would be rounded away\. Centre the data: .*"
                                               r"subtract the offset .* add the offset back"):
        make()


def test_the_samplers_the_lessons_use_still_construct():
    for make in (S.Gaussian, S.Uniform, S.Gamma, S.Mixture, S.Gaussian2D, S.Ring, S.Sequences):
        make()
    S.Gaussian(4, 1.25), S.Gaussian(4, 0.4), S.Gaussian(-3, 0.5), S.Mixture((-3.0, 3.0), 0.5)
    S.Uniform(4 - 1.25 * 3 ** .5, 4 + 1.25 * 3 ** .5), S.Uniform(0, 10, dim=5), S.Sequences(10.0, 30.0)
    S.Ring(8, 2.0, 0.05), S.Gaussian(1e4, 1)
    assert float(S.Gaussian(4, 1.25, seed=0)(10_000).std()) == pytest.approx(1.25, rel=0.05)


# 3. distance between two 1000-D points
def test_distance_refuses_a_single_row_of_many_numbers():
    with pytest.raises(ValueError, match=r"samples has shape \(1, 1000\).*pass samples\.T or "
                                         r"samples\.reshape\(-1, 1\)"):
        metrics.distance(torch.randn(1, 1000), torch.randn(1, 1000))
    with pytest.raises(ValueError, match=r"reference has shape \(1, 3\)"):
        metrics.distance(torch.randn(50, 3), torch.randn(1, 3))
    with pytest.raises(ValueError, match=r"got 1000 columns\. samples is a single row.*samples\.T or "
                                         r"samples\.reshape\(-1, 1\)") as e:
        metrics.wasserstein_1d(torch.randn(1, 1000), torch.randn(1000, 1))
    assert "sliced_wasserstein" not in str(e.value)
    with pytest.raises(ValueError, match=r"reference\.T or reference\.reshape\(-1, 1\)"):
        metrics.wasserstein_1d(torch.randn(1000, 1), torch.randn(1, 1000))
    x, y = torch.randn(200, 2), torch.randn(200, 2)
    assert metrics.distance(x, y) == metrics.sliced_wasserstein(x, y)


# 4. the class Gaussian instead of an instance
def test_metrics_refuse_a_sampler_class():
    x = torch.randn(100)
    with pytest.raises(TypeError, match=r"target is the class Gaussian itself; give an instance, "
                                        r"e\.g\. Gaussian\(4, 1\.25\)"):
        metrics.ks_statistic(x, S.Gaussian)
    with pytest.raises(TypeError, match=r"reference is the class Mixture itself"):
        metrics.distance(x, S.Mixture)
    with pytest.raises(TypeError, match=r"reference must be samples .* got the sampler Gaussian\(mean=4"):
        metrics.wasserstein_1d(x, S.Gaussian())
    assert 0 <= metrics.ks_statistic(x, S.Gaussian(0, 1)) <= 1


# 5. the classic D fed raw samples instead of their 4 moments
def test_discriminators_name_the_input_width_they_expect():
    with pytest.raises(ValueError, match=r"^Discriminator expects \(n, 4\) inputs \(the classic D sees 4 moments: "
                                         r"use gan_lesson\.features\.moments\(x\)\); got \(500, 1\)\.$"):
        models.Discriminator()(torch.randn(500, 1))
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes"):   # notebook 03 reads PyTorch's own words
        models.MLPDiscriminator(2)(torch.randn(500, 1))
    assert models.Discriminator()(torch.randn(5, 4)).shape == (5, 1)
    assert models.MLPDiscriminator()(torch.randn(5, 1)).shape == (5, 1)


# 6. a bare `except:` in a retry loop swallows the time limit: the student must be told
def test_a_swallowed_time_out_refires_and_says_so_once(monkeypatch, capsys):
    handler = signal.getsignal(signal.SIGALRM)
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "__stderr__", stderr)
    monkeypatch.setattr(core, "REFIRE", 0.05)
    swallowed = []

    def retries(x):
        while len(swallowed) < 4:        # swallows the time-out and 3 re-fires, then gives up
            try:
                while True:
                    pass
            except:                      # noqa: E722
                swallowed.append(time.monotonic())
        return x * x

    @checker("retry", limit=5)
    def check(fn):
        expect(call(fn, 3, what="retry(3)", limit=0.2) == 9, "wrong")
        return "ok"

    start = time.monotonic()
    assert check(retries) == False                # noqa: E712
    assert time.monotonic() - start < 3
    assert len(swallowed) == 4
    assert "did not return within the time limit" in capsys.readouterr().out
    told = stderr.getvalue()
    assert told.count("catches every exception") == 1, told
    assert "retry(3)" in told and "bare `except:`" in told and "Kernel → Restart" in told
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0) and signal.getsignal(signal.SIGALRM) is handler


# 7. the library's class passed to a checker instead of the student's function
def test_call_refuses_a_sampler_class(capsys):
    assert check_mixture_sampler(S.Mixture) == False      # noqa: E712
    out = capsys.readouterr().out
    assert "you passed the class Mixture itself; pass your own function (or an instance)" in out, out


# 8. a d_loss that assumes as many real rows as fake ones
def test_series_d_loss_that_assumes_equal_batches_is_caught(capsys):
    def d_loss(real, fake):
        logits = torch.cat([real, fake])
        targets = torch.cat([torch.ones_like(real), torch.zeros_like(real)])
        return F.binary_cross_entropy_with_logits(logits, targets)

    def d_loss_joined(real, fake):      # one mean over the joined batch: right only when the halves are equal
        targets = torch.cat([torch.ones_like(real), torch.zeros_like(fake)])
        return F.binary_cross_entropy_with_logits(torch.cat([real, fake]), targets)

    def g_loss(fake):
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))

    assert check_series_losses(d_loss, g_loss) == False     # noqa: E712
    out = capsys.readouterr().out
    assert "on 3 real and 2 fake logits" in out and "same number of rows" in out, out
    assert "torch.zeros_like(fake_logits)" in out, out
    assert check_series_losses(d_loss_joined, g_loss) == False   # noqa: E712
    out = capsys.readouterr().out
    assert "averages over the two batches joined together" in out and "1.5 times as much" in out, out
