"""fit with the student's own pieces: their networks and their steps are what trains."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gan_lesson as gl
from gan_lesson import samplers
from notebook_cells import solution_namespace

TARGET = samplers.Gaussian(4, 1.25, seed=1)


@pytest.fixture(scope="module")
def steps05():
    ns = solution_namespace("05_training_loop.ipynb")
    return ns["d_step"], ns["g_step"]


def small_pair(noise_dim=3):
    torch.manual_seed(7)
    G = nn.Sequential(nn.Linear(noise_dim, 24), nn.Tanh(), nn.Linear(24, 1))
    D = nn.Sequential(nn.Linear(1, 24), nn.LeakyReLU(0.2), nn.Linear(24, 1))
    return G, D


def test_the_library_steps_are_notebook_05s_solutions():
    import inspect
    d_src = inspect.getsource(gl.steps.d_step)
    g_src = inspect.getsource(gl.steps.g_step)
    for line in ("d_opt.zero_grad()", "fake = G(z).detach()", "d_real, d_fake = D(real), D(fake)", "d_opt.step()",
                 "return d_loss.item()"):
        assert line in d_src
    for line in ("g_opt.zero_grad()", "d_fake = D(G(z))", "g_opt.step()", "return g_loss.item()"):
        assert line in g_src


@pytest.mark.slow
def test_fit_trains_the_students_own_modules_and_samples_from_them():
    G, D = small_pair()
    g_before = [p.detach().clone() for p in G.parameters()]
    d_before = [p.detach().clone() for p in D.parameters()]
    result = gl.fit(TARGET, generator=G, discriminator=D, epochs=800, seed=0, progress=False)
    assert result.noise_dim == 3                       # read from the generator's first layer
    assert all(not torch.equal(a, b) for a, b in zip(g_before, G.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(d_before, D.parameters()))
    assert result.generator.net is G and result.discriminator.net is D
    z = result.noise(1000, torch.Generator().manual_seed(3))
    with torch.no_grad():
        by_hand = result.generator.standardiser.inverse(G(z))
    assert torch.allclose(result.generator(z), by_hand)
    assert result.distance(n=5000) / 1.25 < 0.1       # measured 0.053 with these seeds


@pytest.mark.slow
def test_fit_with_a_sigmoid_discriminator_reads_it_as_probabilities():
    torch.manual_seed(1)
    D = nn.Sequential(nn.Linear(1, 24), nn.LeakyReLU(0.2), nn.Linear(24, 1), nn.Sigmoid())
    result = gl.fit(TARGET, discriminator=D, epochs=800, seed=0, progress=False)
    assert result.status == "finished"
    assert result.distance(n=5000) / 1.25 < 0.15
    assert 0.3 < result.history.d_real[-1] < 0.7     # a probability, near ½ at the end


@pytest.mark.slow
def test_the_students_steps_train_the_same_run_as_the_librarys(steps05):
    d_step, g_step = steps05
    lib = gl.fit(TARGET, epochs=800, seed=0, progress=False)
    mine = gl.fit(TARGET, d_step=d_step, g_step=g_step, epochs=800, seed=0, progress=False)
    gap = np.max(np.abs(np.subtract(lib.history.distance, mine.history.distance)))
    assert gap < 5e-3, gap
    assert mine.history.distance[-1] / 1.25 < 0.1


@pytest.mark.slow
def test_a_broken_step_changes_the_training_result(steps05):
    d_step, g_step = steps05

    def g_step_wrong_optimizer(G, D, g_opt, d_opt, z):
        d_opt.zero_grad()
        loss = F.binary_cross_entropy(D(G(z)), torch.ones(len(z), 1))
        loss.backward()
        d_opt.step()                          # the mistake: D is stepped, G never is
        return loss.item()

    def d_step_never_steps(G, D, g_opt, d_opt, real, z):
        d_opt.zero_grad()
        d_real, d_fake = D(real), D(G(z).detach())
        loss = F.binary_cross_entropy(d_real, torch.ones_like(d_real)) + F.binary_cross_entropy(d_fake, torch.zeros_like(d_fake))
        loss.backward()
        return loss.item()                    # the mistake: no d_opt.step()

    good = gl.fit(TARGET, d_step=d_step, g_step=g_step, epochs=800, seed=0, progress=False)
    frozen_g = gl.fit(TARGET, d_step=d_step, g_step=g_step_wrong_optimizer, epochs=800, seed=0, progress=False)
    lazy_d = gl.fit(TARGET, d_step=d_step_never_steps, g_step=g_step, epochs=800, seed=0, progress=False)
    assert good.history.distance[-1] < 0.15
    assert frozen_g.history.distance[-1] > 5 * good.history.distance[-1]
    assert frozen_g.history.distance[-1] == pytest.approx(frozen_g.history.distance[0], rel=0.05)   # G never moved
    assert lazy_d.history.distance[-1] > 3 * good.history.distance[-1]


def test_a_step_that_returns_nothing_is_named():
    def g_step(G, D, g_opt, d_opt, z):
        g_opt.zero_grad()
        F.binary_cross_entropy(D(G(z)), torch.ones(len(z), 1)).backward()
        g_opt.step()

    with pytest.raises(TypeError, match=r"g_step must return the loss .* returned None.*return loss.item\(\)"):
        gl.fit(TARGET, g_step=g_step, epochs=3, progress=False)


@pytest.mark.parametrize("kwargs, message", [
    (dict(generator=nn.Linear), r"generator must be a model .* the class Linear itself"),
    (dict(generator=lambda z: z), r"generator must be a torch.nn.Module .*make_generator"),
    (dict(discriminator=nn.Sequential(nn.ReLU())), r"discriminator has no trainable parameters"),
    (dict(d_step=lambda G, D, real: 0.0), r"d_step is called as d_step\(G, D, g_opt, d_opt, real, z\), with 6 arguments"),
    (dict(g_step="g_step"), r"g_step must be"),
    (dict(generator=nn.Linear(4, 2)), r"generator: your generator must map noise \(n, 4\) to samples \(n, 1\).*\(2, 2\)"),
    (dict(discriminator=nn.Linear(2, 1)), r"discriminator: your discriminator could not judge a real batch of shape \(512, 1\)"),
    (dict(discriminator=nn.Linear(1, 2)), r"one verdict per sample, shape \(512, 1\).*\(512, 2\)"),
])
def test_pieces_that_do_not_fit_are_named(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        gl.fit(TARGET, epochs=2, progress=False, **kwargs)


def test_the_same_module_as_both_players_is_refused():
    net = nn.Linear(1, 1)
    with pytest.raises(ValueError, match="the same module"):
        gl.fit(TARGET, generator=net, discriminator=net, epochs=2, progress=False)


def test_a_blow_up_keeps_the_last_recorded_weights():
    rec = gl.RECIPES["modern"].replace(optimizer="sgd", lr_decay=False, ema=0.0, loss="wasserstein_clip", clip=1e6)
    result = gl.fit(TARGET, recipe=rec, lr_d=10, lr_g=10, epochs=200, log_every=1, progress=False)
    assert result.status == "diverged"
    assert "last record" in result.message or "started with" in result.message
    kept = result.epochs_done
    assert result.history.epoch[-1] == kept
    assert all(torch.isfinite(p).all() for p in result.generator.parameters())
    samples = result.sample(100, seed=0)
    assert torch.isfinite(samples).all()
    assert math.isfinite(result.history.distance[-1])


def test_a_result_with_the_students_networks_saves_and_loads_with_them(tmp_path):
    G, D = small_pair()
    result = gl.fit(TARGET, generator=G, discriminator=D, epochs=20, seed=0, progress=False)
    path = result.save(tmp_path / "mine.pt")
    with pytest.raises(ValueError, match=r"trained with your own generator: the file holds its weights but not its code"):
        gl.load(path)
    G2, D2 = small_pair()
    back = gl.load(path, generator=G2, discriminator=D2)
    assert back.generator.net is G2
    for a, b in zip(G.parameters(), G2.parameters()):
        assert torch.equal(a, b)
    assert torch.equal(back.sample(50, seed=1), result.sample(50, seed=1))
    with pytest.raises(TypeError, match="generator must be the network"):
        gl.load(path, generator="G", discriminator=D2)


def test_load_names_a_result_kind_it_does_not_know(tmp_path):
    path = tmp_path / "odd.pt"
    torch.save({"format": "gan-lesson/teapot", "version": 1}, path)
    with pytest.raises(ValueError, match="of the kind 'gan-lesson/teapot', which this gan_lesson does not know"):
        gl.load(path)
