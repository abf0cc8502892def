"""Why training circles: the Dirac-GAN's trajectories, measured, and the 1-D GAN's loop."""
import numpy as np
import pytest

import gan_lesson as gl
from gan_lesson.lessons.oscillation import (alternating, circling_run, eigenvalues, f, f_prime, jacobian,
                                            moving_average, radius, simultaneous, vector_field, winding)


def test_the_module_answers_to_its_short_name():
    assert gl.oscillation.simultaneous is simultaneous


def test_f_is_log_sigmoid_and_its_slope_at_zero_is_a_half():
    assert f(0.0) == pytest.approx(-np.log(2))
    assert f_prime(0.0) == pytest.approx(0.5)
    t = np.linspace(-5, 5, 11)
    numeric = (f(t + 1e-6) - f(t - 1e-6)) / 2e-6
    assert np.allclose(numeric, f_prime(t), atol=1e-6)
    assert np.isfinite(f(-800.0)) and np.isfinite(f_prime(-800.0))


def test_the_eigenvalues_at_the_centre_are_purely_imaginary_without_a_penalty():
    assert np.allclose(eigenvalues(), [0.5j, -0.5j]) or np.allclose(eigenvalues(), [-0.5j, 0.5j])
    with_r1 = eigenvalues(r1=0.3)
    assert np.allclose(with_r1.real, -0.15)
    assert np.allclose(jacobian(), [[0, 0.5], [-0.5, 0]])


@pytest.mark.parametrize("loss", ["minimax", "non_saturating"])
def test_the_field_turns_around_the_centre_and_vanishes_there(loss):
    theta, psi = np.meshgrid(np.linspace(-2, 2, 9), np.linspace(-2, 2, 9))
    d_theta, d_psi = vector_field(theta, psi, loss=loss)
    assert d_theta.shape == theta.shape
    assert vector_field(0.0, 0.0, loss=loss) == (0.0, 0.0)
    # near the centre the field is perpendicular to the way out: a rotation, no pull inwards
    t, p = np.array([1e-3, 0.0, -1e-3]), np.array([0.0, 1e-3, 1e-3])
    dt, dp = vector_field(t, p, loss=loss)
    assert np.allclose(t * dt + p * dp, 0, atol=1e-9)
    assert vector_field(1.0, 0.0, loss=loss)[1] < 0          # G right of the data: D's slope goes negative


def test_simultaneous_steps_spiral_outwards():
    path = simultaneous((1.0, 1.0), steps=500, lr=0.2)
    assert path.shape == (501, 2)
    r = radius(path)
    assert r[-1] / r[0] > 2.0                                   # measured: 1.41 -> 3.35
    assert np.all(np.diff(r) > 0)
    assert winding(*path.T) < -2                                # clockwise, 2.7 turns


def test_alternating_steps_stay_on_an_orbit():
    path = alternating((1.0, 1.0), steps=2000, lr=0.2)
    r = radius(path)
    assert 0.95 * r[0] < r.min() and r.max() < 1.1 * r[0]      # measured: 1.413 to 1.497
    assert winding(*path.T) < -20


def test_r1_penalty_makes_the_iterates_converge():
    path = simultaneous((1.0, 1.0), steps=500, lr=0.2, r1=0.3)
    r = radius(path)
    assert r[-1] < 0.01 * r[0]
    assert radius(alternating((1.0, 1.0), steps=500, lr=0.2, r1=0.3))[-1] < 0.01 * r[0]


def test_the_moving_average_circles_much_closer_to_the_centre():
    path = alternating((1.0, 1.0), steps=1000, lr=0.2)
    average = moving_average(path, decay=0.99)
    assert average.shape == path.shape and np.array_equal(average[0], path[0])
    assert radius(path)[-200:].min() > 1.4                      # the iterates keep circling
    assert radius(average)[-200:].max() < 0.2 * radius(path)[-200:].min()   # measured: 0.20 against 1.41


def test_winding_counts_turns_and_their_direction():
    a = np.linspace(0, 4 * np.pi, 200)
    assert winding(np.cos(a), np.sin(a)) == pytest.approx(2.0)
    assert winding(np.cos(a), -np.sin(a)) == pytest.approx(-2.0)
    assert winding(2 + np.cos(a), np.sin(a)) == pytest.approx(0.0, abs=1e-9)   # circles that do not enclose (0, 0)


@pytest.mark.parametrize("call, message", [
    (lambda: simultaneous(steps=0), "steps must be a whole number from 1 to 1000000; got 0"),
    (lambda: alternating(lr=-0.1), "lr must be a finite number > 0 and <= 10; got -0.1"),
    (lambda: simultaneous(r1=-1), "r1 must be a finite number >= 0; got -1"),
    (lambda: simultaneous(loss="wasserstein"), "loss must be one of 'minimax', 'non_saturating'; got 'wasserstein'"),
    (lambda: simultaneous(start=3.0), r"start must be a pair \(theta, psi\) of numbers; got 3.0"),
    (lambda: alternating(start=(1.0, float("nan"))), r"start\[1\] \(psi\) must be a finite number; got nan"),
    (lambda: moving_average(np.zeros((5, 2)), decay=1.0), "decay must be a finite number >= 0 and < 1; got 1.0"),
    (lambda: moving_average(np.zeros(5)), r"trajectory must have shape \(n, 2\), one \(theta, psi\) per row; got shape \(5,\)"),
    (lambda: vector_field(np.zeros(3), np.zeros(4)), r"theta and psi must have the same shape; got \(3,\) and \(4,\)"),
    (lambda: vector_field("a", 0.0), "theta must be a number or an array of numbers; got 'a'"),
    (lambda: winding([0.0], [1.0]), "x and y must be 1-D arrays of the same length >= 2"),
    (lambda: circling_run(epochs=1), "epochs must be a whole number from 2 to 100000; got 1"),
    (lambda: circling_run(seed=-1), "seed must be a whole number from 0 to"),
])
def test_bad_input_is_refused_naming_the_parameter(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


@pytest.mark.slow
def test_the_1d_gan_circles_its_equilibrium():
    run = circling_run(seed=2, epochs=400, log_every=2, progress=False)
    assert len(run.epoch) == len(run.g_offset) == len(run.d_slope)
    assert run.loops < -3                                        # measured: -5.4 (clockwise, like the Dirac-GAN)
    assert np.abs(run.g_offset).max() > 2                        # G's mean swings far past the target
    assert (run.d_slope > 0.3).any() and (run.d_slope < -0.3).any()   # D's slope changes sign
