"""Accidents with the inputs of the metrics, losses, models and samplers: each test reproduces
one a tester found (complex numbers, text, scalars where lists belong, the wrong shapes and
dtypes, flags given as strings, a pairwise table too large for a classroom kernel) and checks
the message names the parameter, repeats the value and says what is accepted.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import gan_lesson as gl
from gan_lesson import losses, metrics, models, samplers

METRICS = [
    ("distance", lambda x, y: metrics.distance(x, y)),
    ("wasserstein_1d", lambda x, y: metrics.wasserstein_1d(x, y)),
    ("sliced_wasserstein", lambda x, y: metrics.sliced_wasserstein(x, y)),
    ("ks_statistic", lambda x, y: metrics.ks_statistic(x, y)),
    ("moments", lambda x, y: metrics.moments(x)),
    ("mean_cov_error", lambda x, y: metrics.mean_cov_error(x, [0.0], [[1.0]])),
    ("mode_coverage", lambda x, y: metrics.mode_coverage(x, [[0.0]], 1.0)),
    ("precision_recall", lambda x, y: metrics.precision_recall(x, y, k=2)),
]


# --------------------------------------------------------------------------- 93: complex numbers

def test_distance_refuses_complex_samples_instead_of_dropping_the_imaginary_part():
    with pytest.raises(TypeError, match=r"samples must be real numbers; got complex values such as \(1\+1j\)"):
        metrics.distance(np.array([1 + 1j, 2]), torch.randn(9, 1))
    with pytest.raises(TypeError, match="reference must be real numbers; got a complex tensor"):
        metrics.distance(torch.randn(9, 1), torch.randn(9, 1, dtype=torch.complex64))


@pytest.mark.parametrize("name, call", METRICS, ids=[m[0] for m in METRICS])
def test_every_metric_refuses_complex_samples(name, call):
    complex_sample = np.array([1 + 1j, 2, 3, 4, 5, 6])
    with pytest.raises(TypeError, match="samples must be real numbers"):
        call(complex_sample, np.arange(6.0))
    with pytest.raises(TypeError, match="samples must be real numbers"):
        call([1 + 2j, 3, 4, 5, 6, 7], np.arange(6.0))        # a plain list too


def test_metrics_refuse_text():
    with pytest.raises(TypeError, match=r"samples must be numbers in a tensor or array .*; got text"):
        metrics.distance(np.array(["1", "2"]), [1.0, 2.0])
    with pytest.raises(TypeError, match="samples must be numbers"):
        metrics.moments([1.0, None])


def test_empirical_refuses_complex_data():
    with pytest.raises(TypeError, match=r"data must be real numbers; got complex values such as \(1\+1j\)"):
        samplers.Empirical(np.array([[1 + 1j], [2]]))
    with pytest.raises(TypeError, match="data must be real numbers; got a complex tensor"):
        samplers.Empirical(torch.ones(3, 2, dtype=torch.complex64))


# --------------------------------------------------------------------------- 95: ks_statistic with columns

def test_ks_statistic_refuses_two_columns_instead_of_using_column_zero():
    with pytest.raises(ValueError, match="samples must be 1-D for ks_statistic; got 2 columns"):
        metrics.ks_statistic(torch.randn(50, 2), torch.randn(60, 1))
    with pytest.raises(ValueError, match="target must be 1-D for ks_statistic; got 3 columns"):
        metrics.ks_statistic(torch.randn(50, 1), torch.randn(60, 3))


# --------------------------------------------------------------------------- 101: precision_recall memory

def _old_precision_recall(samples, reference, k=5, n=500, seed=0):
    """The full-table computation as it was before the distances were computed in blocks."""
    a = np.asarray(samples, dtype=float)
    b = np.asarray(reference, dtype=float)
    rng = np.random.default_rng(seed)
    a = a[rng.choice(len(a), min(n, len(a)), replace=False)]
    b = b[rng.choice(len(b), min(n, len(b)), replace=False)]

    def radii(x):
        return np.sort(np.linalg.norm(x[:, None, :] - x[None, :, :], axis=2), axis=1)[:, k]

    cross = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)
    return {"precision": float((cross <= radii(b)[None, :]).any(axis=1).mean()),
            "recall": float((cross <= radii(a)[:, None]).any(axis=0).mean())}


@pytest.mark.parametrize("block_bytes", [None, 5000, 1])     # the default, a few rows, one row at a time
@pytest.mark.parametrize("d, sizes, k", [(1, (300, 300), 5), (2, (400, 250), 3), (7, (120, 500), 1), (9, (200, 90), 4)])
def test_precision_recall_in_blocks_gives_the_same_numbers(monkeypatch, block_bytes, d, sizes, k):
    if block_bytes is not None:
        monkeypatch.setattr(metrics, "_BLOCK_BYTES", block_bytes)
    g = torch.Generator().manual_seed(d)
    fake = torch.randn(sizes[0], d, generator=g) * 0.8
    real = torch.randn(sizes[1], d, generator=g) + 0.3
    assert metrics.precision_recall(fake, real, k=k, n=350) == _old_precision_recall(fake, real, k=k, n=350)


def test_mode_coverage_in_blocks_gives_the_same_numbers(monkeypatch):
    ring = samplers.Ring(8, 2.0, 0.05, seed=0)
    x = ring(3000) * torch.linspace(0.8, 1.2, 3000)[:, None]
    whole = metrics.mode_coverage(x, ring.centres, ring.std)
    monkeypatch.setattr(metrics, "_BLOCK_BYTES", 2000)
    assert metrics.mode_coverage(x, ring.centres, ring.std) == whole


def test_distance_blocks_stay_within_their_budget(monkeypatch):
    monkeypatch.setattr(metrics, "_BLOCK_BYTES", 2**20)
    x = np.random.default_rng(0).normal(size=(1500, 3))
    blocks = list(metrics._distance_blocks(x, x))
    assert len(blocks) > 1
    assert max(dist.nbytes for _, dist in blocks) * (3 * 3 + 2) <= metrics._BLOCK_BYTES
    assert sum(len(dist) for _, dist in blocks) == 1500
    assert np.array_equal(np.vstack([dist for _, dist in blocks]),
                          np.linalg.norm(x[:, None, :] - x[None, :, :], axis=2))


# The full n × n × 2 tables for n = 2000 are 64 MB each (three at once in np.linalg.norm); in
# blocks the call needs a few MB. Both run with 60 MB more address space than the process holds.
# (n = 30,000 asked for 13 GiB and the kernel was killed.) Only gan_lesson.maths.metrics is imported
# (not the package's __init__, which brings in plotting and takes seconds).
LARGE_N = """
import json, resource, sys, types
import numpy as np
import os
for name, path in (("gan_lesson", os.path.dirname(sys.argv[1])), ("gan_lesson.maths", sys.argv[1])):
    package = types.ModuleType(name)         # the folders as bare packages: their __init__ files are skipped
    package.__path__ = [path]
    sys.modules[name] = package
from gan_lesson.maths import metrics
metrics._BLOCK_BYTES = 4 * 2**20
def used():      # address space in use now, bytes
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmSize")).split()[1]) * 1024
rng = np.random.default_rng(0)
a, b = rng.normal(size=(2000, 2)), rng.normal(size=(2000, 2)) + 0.5
limit = used() + 60 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
out = {}
try:
    out["result"] = metrics.precision_recall(a, b, n=2000)
except MemoryError:
    out["error"] = "MemoryError"
try:
    np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)       # the old way: one full table
    out["full_table"] = "fitted"
except MemoryError:
    out["full_table"] = "MemoryError"
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="address-space limit via /proc and RLIMIT_AS")
def test_precision_recall_with_a_large_n_fits_a_bounded_memory():
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    package = os.path.dirname(metrics.__file__)
    run = subprocess.run([sys.executable, "-c", LARGE_N, package], capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert "error" not in out, out
    assert out["full_table"] == "MemoryError", out        # the limit is one the old code could not meet
    assert 0 < out["result"]["precision"] <= 1 and 0 < out["result"]["recall"] <= 1


def test_sliced_wasserstein_refuses_projections_beyond_the_memory_limit():
    with pytest.raises(ValueError,
                       match=r"projections=1,000,000,000 .* would need at least \d+\.\d GB .* limit is 1 GB"):
        metrics.sliced_wasserstein(torch.randn(10, 2), torch.randn(10, 2), projections=10**9)


@pytest.mark.parametrize("sizes", [(200, 200), (200, 150)])
def test_sliced_wasserstein_in_blocks_of_directions_agrees(monkeypatch, sizes):
    a, b = torch.randn(sizes[0], 3), torch.randn(sizes[1], 3) + 1
    whole = metrics.sliced_wasserstein(a, b, projections=50)
    monkeypatch.setattr(metrics, "MEMORY_LIMIT", 8 * 50 * 3 + 24 * sum(sizes) * 7)    # 7 directions at once
    assert metrics.sliced_wasserstein(a, b, projections=50) == pytest.approx(whole, rel=1e-12)


@pytest.mark.parametrize("draw", [
    lambda: samplers.Gaussian()(10**10),
    lambda: samplers.Mixture()(10**9),
    lambda: samplers.Ring()(10**9),
    lambda: samplers.Empirical([[1.0, 2.0]])(10**9),
    lambda: samplers.uniform_noise(10**9, 2),
    lambda: samplers.normal_noise(10**8, 10),
])
def test_draws_beyond_a_gigabyte_are_refused_with_the_numbers(draw):
    with pytest.raises(ValueError, match=r"n=[\d,]+ rows of \d+ number\(s\) would need about [\d.]+ GB of memory; "
                                         r"at most [\d,]+ at once fit in 1 GB"):
        draw()


def test_large_draws_below_the_limit_still_work():
    assert samplers.Gaussian(seed=0)(1_000_000).shape == (1_000_000, 1)
    assert samplers.normal_noise(1_000_000, 2).shape == (1_000_000, 2)


@pytest.mark.parametrize("make", [
    lambda: models.Generator(hidden_size=10**5),
    lambda: models.Discriminator(hidden_size=10**5),
    lambda: models.LinearGenerator(10**5, 10**4),
    lambda: models.MLPGenerator(hidden=(10**5, 10**5)),
    lambda: models.MLPDiscriminator(hidden=[20_000, 20_000]),
])
def test_networks_beyond_a_gigabyte_of_weights_are_refused(make):
    with pytest.raises(ValueError, match=r"would hold [\d,]+ weights, about [\d.]+ GB; the limit is 1 GB"):
        make()


# --------------------------------------------------------------------------- 106: flags given as text

@pytest.mark.parametrize("call", [
    lambda p: losses.discriminator_loss(p, p, logits="False"),
    lambda p: losses.generator_loss_minimax(p, logits="False"),
    lambda p: losses.generator_loss_non_saturating(p, logits="False"),
    lambda p: losses.value_function(p, p, logits="False"),
])
def test_losses_refuse_a_string_for_logits(call):
    p = torch.full((4, 1), 0.5)
    with pytest.raises(TypeError, match="logits must be True or False; got 'False'"):
        call(p)


def test_flags_in_models_and_gradient_penalty_refuse_strings():
    crit = torch.nn.Linear(1, 1)
    with pytest.raises(TypeError, match="one_sided must be True or False; got 'no'"):
        losses.gradient_penalty(crit, torch.randn(8, 1), torch.randn(8, 1), one_sided="no")
    with pytest.raises(TypeError, match="sigmoid must be True or False; got 'False'"):
        models.Discriminator(sigmoid="False")
    with pytest.raises(TypeError, match="sigmoid must be True or False; got 0"):
        models.MLPDiscriminator(sigmoid=0)
    assert models.MLPDiscriminator(sigmoid=np.True_).outputs_logits is False


# --------------------------------------------------------------------------- 83–85: Mixture's scalars

def test_mixture_means_as_a_scalar_asks_for_a_list():
    with pytest.raises(TypeError, match=r"means must be a list of centres, e.g. means=\[3.0\]; got 3.0"):
        samplers.Mixture(means=3.0)
    with pytest.raises(TypeError, match="means must be a list of centres"):
        samplers.Mixture(means=torch.tensor(3.0))


@pytest.mark.parametrize("stds", [np.float32(0.5), torch.tensor(0.5), np.array(0.5), 0.5, [0.5, 0.5],
                                  np.array([0.5, 0.5]), torch.tensor([0.5, 0.5])])
def test_mixture_takes_any_real_scalar_or_list_for_stds(stds):
    m = samplers.Mixture(stds=stds, seed=3)
    reference = samplers.Mixture(stds=0.5, seed=3)
    assert m.stds == [0.5, 0.5]
    assert torch.equal(m(100), reference(100))


def test_mixture_means_and_weights_as_arrays_or_tensors():
    m = samplers.Mixture(means=torch.tensor([-2.0, 2.0]), weights=np.array([1, 3]), seed=1)
    assert m.means == [-2.0, 2.0] and m.weights == [0.25, 0.75]
    with pytest.raises(ValueError, match="stds must be a finite number > 0; got -1"):
        samplers.Mixture(stds=torch.tensor(-1.0))
    with pytest.raises(TypeError, match="weights must be a list of weights"):
        samplers.Mixture(weights=2.0)


# --------------------------------------------------------------------------- 88, 89, 91: sampler inputs

def test_gaussian2d_refuses_text_for_a():
    with pytest.raises(TypeError, match="A must be a finite 2×2 matrix of numbers; got text 'abc'"):
        samplers.Gaussian2D(A="abc")
    with pytest.raises(ValueError, match=r"b must be 2 finite numbers; got \[1, 2, 3\], of shape \(3,\)"):
        samplers.Gaussian2D(b=[1, 2, 3])
    with pytest.raises(TypeError, match="A must be real numbers"):
        samplers.Gaussian2D(A=[[1j, 0], [0, 1]])


def test_gaussian2d_numbers_unchanged():
    default = samplers.Gaussian2D()
    assert torch.equal(default.A, torch.tensor([[1.0, 2.0], [-0.1, 0.5]]))
    assert torch.equal(samplers.Gaussian2D(A=np.array([[1.0, 2.0], [-0.1, 0.5]]), seed=0)(50),
                       samplers.Gaussian2D(seed=0)(50))


@pytest.mark.parametrize("data, error, words", [
    ([[1, 2], [3]], ValueError, r"\[\[1, 2\], \[3\]\], whose rows do not all have the same length"),
    (None, TypeError, "None"),
    (np.array([["a", "b"]]), TypeError, "text"),
    (["x", "y"], TypeError, "text"),
    ("abc", TypeError, "'abc'"),
])
def test_empirical_refuses_what_is_not_a_table_of_numbers(data, error, words):
    with pytest.raises(error, match=r"data must be a table of numbers \(rows, dim\); got " + words):
        samplers.Empirical(data)


def test_empirical_numbers_unchanged():
    rows = [[1.5, 2.0], [3.0, 4.25], [0.1, 0.2]]
    for data in (rows, np.array(rows), torch.tensor(rows, dtype=torch.float64),
                 torch.tensor(rows, requires_grad=True)):
        assert torch.equal(samplers.Empirical(data).data, torch.tensor(rows, dtype=torch.float32))


def test_pdf_cdf_ppf_refuse_text():
    with pytest.raises(TypeError, match="x must be numbers .*; got text 'a'"):
        samplers.Gaussian().pdf("a")
    with pytest.raises(TypeError, match="x must be numbers"):
        samplers.Mixture().cdf(["a"])
    with pytest.raises(TypeError, match="u must be numbers"):
        samplers.Gamma().ppf(None)
    with pytest.raises(TypeError, match="x must be real numbers"):
        samplers.Gaussian().cdf(1 + 2j)
    x = torch.linspace(0, 8, 5, requires_grad=True)
    assert np.array_equal(samplers.Gaussian().pdf(x), samplers.Gaussian().pdf(np.linspace(0, 8, 5, dtype=np.float32)))


# --------------------------------------------------------------------------- 94, 98, 100: metric arguments

def test_sliced_wasserstein_checks_its_seed():
    a, b = torch.randn(20, 2), torch.randn(20, 2)
    with pytest.raises(ValueError, match="seed must be a whole number from 0 to 2147483647; got -1"):
        metrics.sliced_wasserstein(a, b, seed=-1)
    with pytest.raises(TypeError, match="seed must be a whole number; got 'x'"):
        metrics.sliced_wasserstein(a, b, seed="x")


def test_mean_cov_error_refuses_text_for_cov_and_mean():
    x = torch.randn(100, 2)
    with pytest.raises(TypeError, match=r"cov must be a \(2, 2\) matrix of numbers; got text 'cov'"):
        metrics.mean_cov_error(x, np.zeros(2), "cov")
    with pytest.raises(ValueError, match=r"cov must be a \(2, 2\) matrix of numbers; got shape \(3,\)"):
        metrics.mean_cov_error(x, np.zeros(2), [1, 2, 3])
    with pytest.raises(TypeError, match="mean must be 2 numbers"):
        metrics.mean_cov_error(x, "mean", np.eye(2))
    with pytest.raises(ValueError, match=r"mean must be 2 numbers .*; got 3 number\(s\)"):
        metrics.mean_cov_error(x, np.zeros(3), np.eye(2))


def test_precision_recall_checks_n_and_seed():
    x, y = torch.randn(30, 2), torch.randn(30, 2)
    with pytest.raises(ValueError, match="n must be a whole number >= 1; got -5"):
        metrics.precision_recall(x, y, n=-5)
    with pytest.raises(TypeError, match="n must be a whole number; got 'all'"):
        metrics.precision_recall(x, y, n="all")
    with pytest.raises(ValueError, match="seed must be a whole number from 0"):
        metrics.precision_recall(x, y, seed=-2)


# --------------------------------------------------------------------------- 104, 105: loss inputs

def test_losses_refuse_nan():
    with pytest.raises(ValueError, match=r"d_real contains NaN \(1 of 1 values\)"):
        losses.discriminator_loss(torch.tensor([[float("nan")]]), torch.rand(8, 1))
    with pytest.raises(ValueError, match="c_fake contains NaN"):
        losses.wasserstein_g_loss(torch.tensor([1.0, float("nan")]))
    with pytest.raises(ValueError, match="d_fake contains infinite values"):
        losses.generator_loss_non_saturating(torch.tensor([float("inf")]), logits=True)


def test_losses_show_an_integer_dtype_and_suggest_float():
    with pytest.raises(TypeError, match=r"d_real must be a float tensor .*dtype torch.int64 — use d_real.float\(\)"):
        losses.discriminator_loss(torch.tensor([[1]]), torch.tensor([[0]]))
    with pytest.raises(TypeError, match=r"d_fake must be a float tensor .*got list \[0.1\]"):
        losses.generator_loss_minimax([0.1])


# --------------------------------------------------------------------------- 107–111: gradient penalty, clipping

def test_gradient_penalty_refuses_1d_samples():
    crit = torch.nn.Linear(1, 1)
    with pytest.raises(ValueError, match=r"real must be a float tensor of samples, shape \(n, d\).*got shape \(8,\)"
                                         r" — use real.unsqueeze\(1\)"):
        losses.gradient_penalty(crit, torch.randn(8), torch.randn(8))


def test_gradient_penalty_refuses_lists_and_wrong_dtypes():
    crit = torch.nn.Linear(1, 1)
    with pytest.raises(TypeError, match=r"real must be a float tensor of samples, shape \(n, d\); got list"):
        losses.gradient_penalty(crit, [[1.0], [2.0]], [[0.0], [1.0]])
    with pytest.raises(TypeError, match=r"real and fake are torch.float64 but the critic's weights are torch.float32"
                                         r" — use real.float\(\) and fake.float\(\)"):
        losses.gradient_penalty(crit, torch.randn(8, 1, dtype=torch.float64), torch.randn(8, 1, dtype=torch.float64))
    with pytest.raises(TypeError, match="real and fake must have the same dtype"):
        losses.gradient_penalty(crit, torch.randn(8, 1), torch.randn(8, 1, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"fake must be .* got dtype torch.int64 — use fake.float\(\)"):
        losses.gradient_penalty(crit, torch.randn(8, 1), torch.ones(8, 1, dtype=torch.long))
    # a float64 critic takes float64 samples
    assert losses.gradient_penalty(crit.double(), torch.randn(8, 1, dtype=torch.float64),
                                   torch.randn(8, 1, dtype=torch.float64)).dtype == torch.float64


def test_gradient_penalty_says_when_the_critic_ignores_its_input():
    real, fake = torch.randn(8, 1), torch.randn(8, 1)
    with pytest.raises(ValueError, match="critic's output does not depend on its input"):
        losses.gradient_penalty(lambda x: torch.ones(len(x), 1), real, fake)
    bias = torch.nn.Parameter(torch.zeros(1))
    with pytest.raises(ValueError, match="critic's output does not depend on its input"):
        losses.gradient_penalty(lambda x: bias.expand(len(x), 1), real, fake)


def test_gradient_penalty_names_a_critic_of_the_wrong_width():
    with pytest.raises(ValueError, match=r"real and fake have 2 column\(s\) but the critic takes rows of 1 .*"
                                         r"give samples of shape \(n, 1\)"):
        losses.gradient_penalty(torch.nn.Linear(1, 1), torch.randn(8, 2), torch.randn(8, 2))
    critic = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    with pytest.raises(ValueError, match="critic takes rows of 3"):
        losses.gradient_penalty(critic, torch.randn(8, 2), torch.randn(8, 2))
    with pytest.raises(ValueError, match=r"critic could not score samples of shape \(8, 2\).*rows of 2 numbers"):
        losses.gradient_penalty(lambda x: critic(x), torch.randn(8, 2), torch.randn(8, 2))


def test_gradient_penalty_numbers_unchanged():
    torch.manual_seed(0)
    crit = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    real, fake = torch.randn(16, 2), torch.randn(16, 2) * 3
    checked = losses.gradient_penalty(crit, real, fake, generator=torch.Generator().manual_seed(4))
    unchecked = losses._gradient_penalty(crit, real, fake, 10.0, torch.Generator().manual_seed(4))
    assert torch.equal(checked, unchecked)


def test_clip_weights_refuses_a_list():
    crit = torch.nn.Linear(1, 1)
    with pytest.raises(TypeError, match=r"model must be a torch.nn.Module \(the critic\); got list \[Linear"):
        losses.clip_weights([crit])


# --------------------------------------------------------------------------- 113: sizes given as 10.0

def test_models_build_from_whole_floats():
    for make_float, make_int in [
        (lambda: models.Generator(hidden_size=10.0), lambda: models.Generator(hidden_size=10)),
        (lambda: models.Discriminator(hidden_size=10.0), lambda: models.Discriminator(hidden_size=10)),
        (lambda: models.LinearGenerator(2.0, 2), lambda: models.LinearGenerator(2, 2)),
        (lambda: models.MLPGenerator(noise_dim=np.int64(4), hidden=32.0), lambda: models.MLPGenerator(hidden=32)),
        (lambda: models.MLPDiscriminator(2.0, hidden=np.int64(8)), lambda: models.MLPDiscriminator(2, hidden=8)),
    ]:
        torch.manual_seed(0)
        a = make_float()
        torch.manual_seed(0)
        b = make_int()
        assert repr(a) == repr(b)
        assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    with pytest.raises(TypeError, match="hidden must be a whole number or a list of them .*; got '32'"):
        models.MLPGenerator(hidden="32")


# --------------------------------------------------------------------------- 117/118: noise in forward

@pytest.mark.parametrize("make, width", [(models.Generator, 1), (models.LinearGenerator, 2), (models.MLPGenerator, 4)])
def test_generators_name_noise_of_the_wrong_shape_or_dtype(make, width):
    G = make()
    if width == 1:
        with pytest.raises(ValueError, match=r"noise must have shape \(n, 1\); got \(10,\) — use z.unsqueeze\(1\)"):
            G(torch.rand(10))
    with pytest.raises(ValueError, match=rf"noise must have shape \(n, {width}\); got \(10, {width + 1}\)"):
        G(torch.rand(10, width + 1))
    with pytest.raises(TypeError,
                       match=r"noise must be a torch.float32 tensor .*got dtype torch.float64 — use z.float\(\)"):
        G(torch.rand(10, width, dtype=torch.float64))
    with pytest.raises(TypeError, match=rf"noise must be a tensor of shape \(n, {width}\); got list"):
        G([[0.5] * width])
    assert G(torch.rand(10, width)).shape[0] == 10
    G.double()                       # a double-precision generator takes float64 noise
    assert G(torch.rand(10, width, dtype=torch.float64)).dtype == torch.float64
    with pytest.raises(TypeError, match=r"use z.to\(torch.float64\)"):
        G(torch.rand(10, width))


def test_generator_output_unchanged_by_the_check():
    torch.manual_seed(1)
    G = models.Generator().eval()
    z = torch.rand(32, 1)
    expected = G.map3(torch.relu(G.map2(torch.relu(G.map1(z)))))
    assert torch.equal(G(z), expected)


def test_fit_still_trains_with_the_checked_generators():
    result = gl.fit(samplers.Gaussian(4, 1.25), epochs=20, progress=False, seed=0)
    assert result.status == "finished"
