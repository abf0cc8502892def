"""The two views of a GAN in the plane: the push on G's points, D's belief surface, G's warped grid."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.quiver import Quiver  # noqa: E402
from torch import nn  # noqa: E402

from gan_lesson import surfaces  # noqa: E402
from gan_lesson.lessons.surfaces import decision_surface, generator_push, warped_grid  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def logit_x1(x):
    """A 'discriminator' whose logit is x₁: more real to the right."""
    return x[:, :1].clone()


def prob_x1(x):
    return torch.sigmoid(x[:, :1])


class LinearD(nn.Module):
    outputs_logits = True

    def __init__(self, w=(2.0, -1.0), b=0.5):
        super().__init__()
        self.lin = nn.Linear(2, 1)
        with torch.no_grad():
            self.lin.weight.copy_(torch.tensor([w]))
            self.lin.bias.fill_(b)

    def forward(self, x):
        return self.lin(x)


def points(n=30, seed=0, shift=(0.0, 0.0)):
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(seed)) + torch.tensor(shift)


# --------------------------------------------------------------------------- generator_push

def test_push_shape_dtype_and_detached():
    x = points(17)
    push = generator_push(logit_x1, x, logits=True)
    assert push.shape == (17, 2) and push.dtype == torch.float32
    assert not push.requires_grad
    assert not x.requires_grad and torch.equal(x, points(17))        # the input is left alone


@pytest.mark.parametrize("loss", surfaces.PUSH_LOSSES)
def test_push_points_towards_more_real(loss):
    x = points(25)
    push = generator_push(logit_x1, x, loss=loss, logits=True)
    assert (push[:, 0] > 0).all()                    # D's logit grows with x₁: the push goes right
    assert torch.allclose(push[:, 1], torch.zeros(25))
    push = generator_push(lambda x: -x[:, 1:2] * 3, x, loss=loss, logits=True)
    assert (push[:, 1] < 0).all() and torch.allclose(push[:, 0], torch.zeros(25))


def test_push_values_for_both_losses():
    x = points(20)
    s = torch.sigmoid(x[:, 0])
    # non-saturating: L = −log σ(ℓ), −∂L/∂ℓ = 1 − σ(ℓ);  minimax: L = log(1 − σ(ℓ)), −∂L/∂ℓ = σ(ℓ)
    assert torch.allclose(generator_push(logit_x1, x, logits=True)[:, 0], 1 - s, atol=1e-6)
    assert torch.allclose(generator_push(logit_x1, x, loss="minimax", logits=True)[:, 0], s, atol=1e-6)
    # the same D given as probabilities gives the same push
    assert torch.allclose(generator_push(prob_x1, x)[:, 0], 1 - s, atol=1e-5)
    assert torch.allclose(generator_push(prob_x1, x, loss="minimax")[:, 0], s, atol=1e-5)


def test_push_follows_the_gradient_of_a_linear_d():
    D = LinearD(w=(2.0, -1.0), b=0.5)                 # outputs_logits read from the module
    x = points(10)
    ell = x @ torch.tensor([2.0, -1.0]) + 0.5
    expected = (1 - torch.sigmoid(ell))[:, None] * torch.tensor([2.0, -1.0])
    assert torch.allclose(generator_push(D, x), expected, atol=1e-6)
    # every arrow points up D's slope
    assert ((generator_push(D, x) @ torch.tensor([2.0, -1.0])) > 0).all()


def test_minimax_saturates_where_d_is_sure_and_non_saturating_does_not():
    far_fake = torch.tensor([[-8.0, 0.0]])                # D(x) = σ(−8) ≈ 3e−4
    ns = generator_push(logit_x1, far_fake, logits=True)
    mm = generator_push(logit_x1, far_fake, loss="minimax", logits=True)
    assert float(ns[0, 0]) > 0.99
    assert 0 < float(mm[0, 0]) < 1e-3


def test_push_does_not_depend_on_batch_size_and_leaves_d_alone():
    D = LinearD()
    x = points(12)
    together = generator_push(D, x)
    alone = torch.cat([generator_push(D, x[i:i + 1]) for i in range(len(x))])
    assert torch.allclose(together, alone, atol=1e-6)
    assert all(p.grad is None for p in D.parameters())
    weight = D.lin.weight.detach().clone()
    generator_push(D, x, loss="minimax")
    assert torch.equal(D.lin.weight, weight)


def test_push_accepts_arrays_other_dimensions_and_flat_outputs():
    x = points(8)
    a = generator_push(logit_x1, x.numpy(), logits=True)
    assert isinstance(a, torch.Tensor) and torch.allclose(a, generator_push(logit_x1, x, logits=True))
    x3 = torch.randn(5, 3, generator=torch.Generator().manual_seed(1))
    p3 = generator_push(lambda x: x.sum(1), x3, logits=True)                # D returning (n,) is fine too
    assert p3.shape == (5, 3)
    assert torch.allclose(p3[:, 0], p3[:, 1]) and torch.allclose(p3[:, 1], p3[:, 2])


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(D="D"), TypeError, ["D must be"]),
    (dict(loss="wasserstein"), ValueError, ["loss must be one of", "wasserstein"]),
    (dict(logits="yes"), TypeError, ["logits must be True or False"]),
    (dict(x=[[0.0, 1.0]]), TypeError, ["x must be a tensor"]),
    (dict(x=torch.zeros(4)), ValueError, ["x must have shape", "(4,)"]),
    (dict(x=torch.zeros(0, 2)), ValueError, ["x must have shape", "n >= 1"]),
    (dict(x=torch.tensor([[0.0, float("nan")]])), ValueError, ["x contains NaN"]),
    (dict(D=lambda x: x), ValueError, ["D must return one value per point", "(3, 2)"]),
    (dict(D=lambda x: 0.5), ValueError, ["D must return one value per point", "float"]),
    (dict(D=lambda x: x[:, :1] * 5, logits=False), ValueError, ["not probabilities", "logits=True"]),
    (dict(D=lambda x: x[:, :1].detach(), logits=True), ValueError, ["autograd", "no_grad"]),
])
def test_push_argument_errors_name_the_parameter(kwargs, error, words):
    args = dict(D=logit_x1, x=points(3), logits=True)
    args.update(kwargs)
    D, x = args.pop("D"), args.pop("x")
    with pytest.raises(error) as info:
        generator_push(D, x, **args)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


# --------------------------------------------------------------------------- decision_surface

def quivers(ax):
    return [c for c in ax.collections if isinstance(c, Quiver)]


def test_decision_surface_draws_belief_points_and_arrows(ax):
    real, fake = points(40, 1, shift=(2, 0)), points(30, 2, shift=(-2, 0))
    out = decision_surface(logit_x1, real, fake, ax=ax, logits=True, arrows=12, resolution=20, colorbar=False)
    assert out is ax
    assert len(ax.images) == 1
    image = ax.images[0].get_array()
    assert image.shape == (20, 20)
    assert float(image.min()) >= 0 and float(image.max()) <= 1
    assert (np.diff(np.asarray(image), axis=1) > 0).all()          # belief grows with x₁ along every row
    assert len(ax.collections) >= 3                                # real, fake, quiver (and the contour)
    q, = quivers(ax)
    assert q.N == 12
    assert (np.asarray(q.U) > 0).all() and np.allclose(q.V, 0)     # every arrow points right, towards "real"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "real" in labels and "generated" in labels and "D(x) = ½" in labels
    assert any(lab.startswith("push") for lab in labels)
    assert len(ax.figure.axes) == 1                                # no colour bar


def test_decision_surface_on_its_own_axes_with_colorbar():
    ax = decision_surface(LinearD(), points(20, 1), points(20, 2), arrows=5, resolution=15)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert len(ax.figure.axes) == 2                                # the plot and its colour bar
    assert quivers(ax)[0].N == 5


def test_decision_surface_without_points_or_arrows(ax):
    decision_surface(prob_x1, ax=ax, arrows=0, resolution=12, colorbar=False, lim=((-1, 2), (-3, 4)))
    assert len(ax.images) == 1 and not quivers(ax)
    assert ax.get_xlim() == (-1, 2) and ax.get_ylim() == (-3, 4)
    assert ax.images[0].get_extent() == [-1, 2, -3, 4]


def test_decision_surface_arrow_count_is_capped_by_the_points(ax):
    decision_surface(logit_x1, fake=points(4), ax=ax, logits=True, arrows=40, resolution=12, colorbar=False)
    assert quivers(ax)[0].N == 4


def test_decision_surface_arrow_scale(ax):
    fake = points(6, 3)
    decision_surface(LinearD(), fake=fake, ax=ax, arrows=6, arrow_scale=2.5, resolution=12, colorbar=False)
    q, = quivers(ax)
    push = generator_push(LinearD(), fake).numpy()
    assert np.allclose(np.column_stack([q.U, q.V]), 2.5 * push, atol=1e-6)


def test_decision_surface_default_arrows_are_sized_to_the_plot(ax):
    lim = ((-5.0, 5.0), (-5.0, 5.0))
    fake = points(30, 4, shift=(-1, 0)) * 2
    decision_surface(logit_x1, fake=fake, ax=ax, logits=True, arrows=30, lim=lim, resolution=12, colorbar=False)
    q, = quivers(ax)
    length = np.hypot(q.U, q.V)
    assert np.median(length) == pytest.approx(0.07 * 10, rel=1e-3)       # median arrow: 7 % of the width
    assert length.max() <= 0.2 * 10 + 1e-6                               # longest capped at 20 %


def test_decision_surface_minimax_arrows_also_point_to_real(ax):
    decision_surface(logit_x1, fake=points(10), ax=ax, logits=True, arrows=10, loss="minimax", resolution=12,
                     colorbar=False)
    assert (np.asarray(quivers(ax)[0].U) > 0).all()


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(D=3), TypeError, ["D must be"]),
    (dict(real=torch.zeros(5, 3)), ValueError, ["real must have shape (n, 2)"]),
    (dict(fake="points"), TypeError, ["fake must be a tensor"]),
    (dict(fake=None), ValueError, ["arrows=5", "fake="]),
    (dict(arrows=-1), ValueError, ["arrows must be"]),
    (dict(arrows=2.5), TypeError, ["arrows must be a whole number"]),
    (dict(loss="hinge"), ValueError, ["loss must be one of"]),
    (dict(resolution=5), ValueError, ["resolution must be"]),
    (dict(arrow_scale=0), ValueError, ["arrow_scale must be"]),
    (dict(colorbar="no"), TypeError, ["colorbar must be True or False"]),
    (dict(lim=(0, 1)), ValueError, ["lim must be ((x_min, x_max), (y_min, y_max))"]),
    (dict(lim=((1, 0), (0, 1))), ValueError, ["lim must be", "min < max"]),
    (dict(ax="axes"), TypeError, ["ax must be matplotlib axes"]),
    (dict(D=lambda x: x[:, :1] + 3, logits=False), ValueError, ["not probabilities", "logits=True"]),
    (dict(D=lambda x: torch.zeros(len(x), 2), logits=False), ValueError, ["one value per point"]),
    (dict(D=lambda x: torch.full((len(x), 1), float("nan")), logits=False), ValueError, ["NaN"]),
])
def test_decision_surface_argument_errors_name_the_parameter(kwargs, error, words):
    args = dict(D=logit_x1, real=points(5, 1), fake=points(5, 2), logits=True, arrows=5, resolution=12,
                colorbar=False)
    args.update(kwargs)
    D = args.pop("D")
    with pytest.raises(error) as info:
        decision_surface(D, **args)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


# --------------------------------------------------------------------------- warped_grid

def linear_G(noise_dim=2):
    G = nn.Linear(noise_dim, 2)
    with torch.no_grad():
        G.weight.zero_()
        G.weight[:, :2] = torch.tensor([[1.0, -0.1], [2.0, 0.5]])     # x = z·W + c with W = weight[:, :2]ᵀ
        G.bias.copy_(torch.tensor([1.0, 3.0]))
    return G


@pytest.mark.parametrize("show_noise, n_lines", [(True, 4 * 5 + 2), (False, 2 * 5 + 1)])
def test_warped_grid_draws_the_grid_its_image_and_the_basis(ax, show_noise, n_lines):
    out = warped_grid(linear_G(), ax=ax, lines=5, points=9, show_noise=show_noise)
    assert out is ax
    assert len(ax.lines) == n_lines
    texts = [t.get_text() for t in ax.texts]
    assert "G(e₁)" in texts and "G(e₂)" in texts and "G(0)" in texts
    assert ax.get_aspect() == 1
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "image of the unit circle" in legend
    assert ("noise grid and unit circle (z)" in legend) == show_noise


def test_warped_grid_lines_are_the_image_under_g(ax):
    G = linear_G()
    warped_grid(G, ax=ax, lines=3, points=7, show_noise=False)
    circle = ax.lines[-1].get_xydata()
    angle = torch.linspace(0, 2 * np.pi, 200)
    with torch.no_grad():
        expected = G(torch.stack([angle.cos(), angle.sin()], 1)).numpy()
    assert np.allclose(circle, expected, atol=1e-5)
    first = ax.lines[0].get_xydata()                   # the line z₂ = −extent, running along z₁
    t = torch.linspace(-2, 2, 7)
    with torch.no_grad():
        expected = G(torch.stack([t, torch.full_like(t, -2.0)], 1)).numpy()
    assert np.allclose(first, expected, atol=1e-5)
    # the arrows go from G(0) to G(e₁) and G(e₂): the rows of W for a linear G
    arrows = [t for t in ax.texts if t.get_text() == ""]
    assert len(arrows) == 2
    tips = np.array([a.xy for a in arrows])
    assert np.allclose(tips, [[2.0, 5.0], [0.9, 3.5]], atol=1e-5)
    assert all(np.allclose(a.xyann, (1.0, 3.0)) for a in arrows)


def test_warped_grid_reads_the_noise_width_and_zeroes_the_rest():
    seen = []
    G = nn.Sequential(nn.Linear(5, 2))

    def hook(module, inputs):
        seen.append(inputs[0])
    G.register_forward_pre_hook(hook)
    ax = warped_grid(G, lines=2, points=3)
    assert isinstance(ax, matplotlib.axes.Axes)
    z, = seen
    assert z.shape[1] == 5 and torch.equal(z[:, 2:], torch.zeros(len(z), 3))


def test_warped_grid_with_a_function_and_real_points(ax):
    real = points(50, 5, shift=(1, 3))
    warped_grid(lambda z: z @ torch.tensor([[1.0, 2.0], [-0.1, 0.5]]) + torch.tensor([1.0, 3.0]), ax=ax,
                noise_dim=2, real=real.numpy(), lines=3, points=5, extent=1.5)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "real" in legend
    assert len(ax.collections) == 2                    # the real points and the dot at G(0)


@pytest.mark.parametrize("G, kwargs, error, words", [
    ("G", {}, TypeError, ["G must be"]),
    (linear_G(), dict(extent=0), ValueError, ["extent must be"]),
    (linear_G(), dict(lines=1), ValueError, ["lines must be"]),
    (linear_G(), dict(points=1), ValueError, ["points must be"]),
    (linear_G(), dict(show_noise=1), TypeError, ["show_noise must be True or False"]),
    (linear_G(), dict(noise_dim=1), ValueError, ["noise_dim must be"]),
    (linear_G(), dict(real=torch.zeros(3)), ValueError, ["real must have shape (n, 2)"]),
    (linear_G(), dict(ax=plt), TypeError, ["ax must be matplotlib axes"]),
    (lambda z: z, {}, ValueError, ["noise_dim could not be read", "noise_dim=..."]),
    (nn.Linear(1, 2), {}, ValueError, ["1 dimension(s)", "at least 2"]),
    (nn.Linear(2, 3), {}, ValueError, ["G must map noise (n, 2) to points (n, 2)"]),
    (lambda z: z * float("nan"), dict(noise_dim=2), ValueError, ["G returned NaN"]),
], ids=["not-callable", "extent", "lines", "points", "show_noise", "noise_dim", "real", "ax", "no-linear",
        "one-dim-noise", "three-d-output", "nan"])
def test_warped_grid_argument_errors_name_the_parameter(G, kwargs, error, words):
    with pytest.raises(error) as info:
        warped_grid(G, **kwargs)
    for w in words:
        assert w in str(info.value), (w, str(info.value))
