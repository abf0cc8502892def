"""The conditional GAN of notebook 11: the label as input, the pair, training, the measure, the picker."""
import math

import matplotlib.pyplot as plt
import pytest
import torch

import gan_lesson as gl
from gan_lesson import conditional as C
from gan_lesson import data, images, steps, training


@pytest.fixture(scope="module")
def trained():
    """A short fixed-seed run on the digits (about 5 s on one thread)."""
    return C.train_conditional(epochs=6, seed=0, progress=False)


# --------------------------------------------------------------------------- the label as input

def test_one_hot_and_the_two_inputs():
    assert torch.equal(C.one_hot([2, 0], 3), torch.tensor([[0.0, 0, 1], [1, 0, 0]]))
    assert C.one_hot(torch.tensor([9]), 10).dtype == torch.float32
    z = torch.randn(4, 16)
    g_in = C.generator_input(z, torch.tensor([0, 3, 9, 3]))
    assert g_in.shape == (4, 26) and g_in.dtype == torch.float32
    assert torch.equal(g_in[:, :16], z) and g_in[:, 16:].argmax(1).tolist() == [0, 3, 9, 3]
    x = torch.randn(4, 1, 8, 8)
    d_in = C.discriminator_input(x, [0, 3, 9, 3])
    assert d_in.shape == (4, 11, 8, 8)
    assert torch.equal(d_in[:, :1], x)
    assert float(d_in[1, 1 + 3].min()) == 1.0 and float(d_in[1, 1:].sum()) == 64.0   # one plane of ones


def test_the_generator_builds_its_input_with_the_function_it_is_given():
    """Notebook 11 passes the student's generator_input: G reads what it returns, so a wrong one shows."""
    import torch.nn.functional as F
    seen = []

    def students(z, labels, classes=10):
        seen.append((tuple(z.shape), labels.dtype, classes))
        return torch.cat([z, F.one_hot(labels, num_classes=classes).float()], dim=1)

    def label_lost(z, labels, classes=10):
        return torch.cat([z, torch.zeros(len(z), classes)], dim=1)

    z, labels = torch.randn(6, 16), torch.tensor([0, 1, 2, 7, 8, 9])
    own, mine = C.ConditionalGenerator(seed=0), C.ConditionalGenerator(seed=0, generator_input=students)
    assert torch.equal(own(z, labels), mine(z, labels)) and seen == [((6, 16), torch.int64, 10)]
    assert "input built by students" in repr(mine)
    lost = C.ConditionalGenerator(seed=0, generator_input=label_lost)
    assert not torch.equal(lost(z, labels), own(z, labels))
    assert torch.equal(lost(z, labels), lost(z, torch.tensor([3] * 6)))        # the label makes no difference
    with pytest.raises(ValueError, match=r"z_only\(z, labels, 10\) returned shape \(6, 16\); this generator reads "
                                         r"\(6, 26\)"):
        def z_only(z, labels, classes=10):
            return z
        C.ConditionalGenerator(seed=0, generator_input=z_only)(z, labels)
    with pytest.raises(TypeError, match="returned dtype int64.*.float()"):
        C.ConditionalGenerator(generator_input=lambda z, y, c: torch.cat([z.long(), F.one_hot(y, c)], 1))(z, labels)
    with pytest.raises(TypeError, match="generator_input must be a function"):
        C.train_conditional(epochs=1, generator_input="mine")
    run = C.train_conditional(torch.zeros(64, 1, 8, 8), torch.arange(64) % 10, epochs=1, seed=0, progress=False,
                              generator_input=students)
    assert run.G.generator_input is students and len(seen) > 2


def test_pair_shapes_and_layout():
    G, D = C.ConditionalGenerator(seed=0), C.ConditionalDiscriminator(seed=1)
    x = G(torch.randn(5, 16), torch.tensor([0, 1, 2, 3, 4]))
    assert x.shape == (5, 1, 8, 8) and float(x.detach().abs().max()) <= 1.0
    assert D(x, [5, 6, 7, 8, 9]).shape == (5, 1)
    assert isinstance(G.body, images.ImageGenerator) and G.body.noise_dim == 26
    assert isinstance(D.body, images.ImageDiscriminator) and D.body.channels == 11
    assert "26×1×1" in repr(G) and "11×8×8" in repr(D) and "logit" in repr(D)
    G16 = C.ConditionalGenerator(noise_dim=4, classes=3, size=16, channels=3, width=8, seed=0)
    D16 = C.ConditionalDiscriminator(classes=3, size=16, channels=3, width=8, seed=0)
    assert D16(G16(torch.randn(2, 4), [0, 2]), [1, 1]).shape == (2, 1)


def test_the_label_changes_the_picture():
    G = C.ConditionalGenerator(seed=0)
    z = torch.randn(1, 16).repeat(2, 1)
    a = C.generate(G, [3, 7], noise=z)
    assert not torch.allclose(a[0], a[1])


@pytest.mark.parametrize("make, error, words", [
    (lambda: C.one_hot([0, 10], 10), ValueError, r"labels must be whole numbers from 0 to 9 \(classes=10\); got 10"),
    (lambda: C.one_hot([-1], 10), ValueError, "got -1"),
    (lambda: C.one_hot(torch.tensor([1.0, 2.0])), TypeError, "labels must hold whole numbers.*got dtype float32"),
    (lambda: C.one_hot(torch.zeros(2, 2, dtype=torch.long)), ValueError, r"shape \(n,\); got shape \(2, 2\)"),
    (lambda: C.one_hot([1], classes=1), ValueError, "classes must be a whole number >= 2; got 1"),
    (lambda: C.generator_input(torch.randn(3, 16), [1, 2]), ValueError, r"one label per row \(3\); got 2"),
    (lambda: C.generator_input([0.1, 0.2], [1]), TypeError, "z must be a tensor of noise"),
    (lambda: C.ConditionalGenerator(noise_dim=0), ValueError, "noise_dim must be a whole number >= 1; got 0"),
    (lambda: C.ConditionalGenerator(size=12), ValueError, "size must be a power of two"),
    (lambda: C.ConditionalGenerator()(torch.randn(2, 5), [1, 2]), ValueError, r"z must be noise of shape \(n, 16\)"),
    (lambda: C.ConditionalDiscriminator()(torch.randn(2, 8, 8), [1, 2]), ValueError,
     r"expects images of shape \(n, 1, 8, 8\)"),
    (lambda: C.generate(images.ImageGenerator(), [1]), TypeError, "G must be a ConditionalGenerator"),
    (lambda: C.generate(C.ConditionalGenerator(), [1, 2], noise=torch.randn(3, 16)), ValueError,
     r"one row per label \(2\); got 3"),
    (lambda: C.train_conditional(epochs=0), ValueError, "epochs must be a whole number >= 1; got 0"),
    (lambda: C.train_conditional(lr_d=-1e-3), ValueError, "lr_d must be a finite number > 0; got -0.001"),
    (lambda: C.train_conditional(progress="yes"), TypeError, "progress must be True or False"),
    (lambda: C.train_conditional(torch.zeros(10, 1, 8, 8)), ValueError, "pass both images and labels.*labels is missing"),
    (lambda: C.train_conditional(torch.zeros(10, 1, 8, 8), torch.full((10,), 12)), ValueError,
     "labels must be whole numbers from 0 to 9"),
    (lambda: C.train_conditional(torch.zeros(10, 64), torch.zeros(10, dtype=torch.long)), ValueError,
     r"images must be a float tensor of square pictures, shape \(n, channels, size, size\); got \(10, 64\)"),
    (lambda: C.train_conditional(torch.zeros(10, 1, 8, 8), torch.zeros(10, dtype=torch.long), batch_size=32),
     ValueError, r"batch_size must be at most the number of images \(10\); got 32"),
    (lambda: C.class_agreement(C.ConditionalGenerator(), per_class=0), ValueError, "per_class must be"),
    (lambda: C.class_agreement(C.ConditionalGenerator(size=16)), ValueError, "8×8 greyscale digits"),
    (lambda: C.picker_frame(C.ConditionalGenerator(), 10), ValueError, "digit must be a whole number from 0 to 9; got 10"),
])
def test_argument_checks(make, error, words):
    with pytest.raises(error, match=words):
        make()


# --------------------------------------------------------------------------- training

def test_same_seed_same_run():
    small = data.load_digits()
    x, y = small[0][:128], small[1][:128]
    a = C.train_conditional(x, y, epochs=2, seed=4, progress=False, measure=False)
    b = C.train_conditional(x, y, epochs=2, seed=4, progress=False, measure=False)
    c = C.train_conditional(x, y, epochs=2, seed=5, progress=False, measure=False)
    assert all(torch.equal(p, q) for p, q in zip(a.G.state_dict().values(), b.G.state_dict().values()))
    assert a.history["loss_d"] == b.history["loss_d"]
    assert not torch.equal(a.G.body.net[1].weight, c.G.body.net[1].weight)
    assert a.history.columns == C.HISTORY_COLUMNS and a.history.epoch == [1, 2]
    assert all(math.isnan(v) for v in a.history["agreement"])            # not measured
    assert len(a.snapshots) == 3 and a.snapshots[0][1].shape == (100, 1, 8, 8)


def test_the_steps_see_labelled_pairs_and_train_as_the_conditional_step_does():
    """AskedFor(G, y) and D.body are G and D with one batch's labels built in; notebook 05's two steps on
    them move the weights exactly as the conditional step written out in notebook 11 does."""
    x, y = data.load_digits()
    x, y, asked, z = x[:32], y[:32], torch.arange(32) % 10, torch.randn(32, 16)
    G, D = C.ConditionalGenerator(seed=0), C.ConditionalDiscriminator(seed=1)
    G.eval()                                # (one fixed output to compare; training mode normalises by batch)
    pairs = C.AskedFor(G, asked)(z)
    assert pairs.shape == (32, 11, 8, 8) and torch.equal(pairs, C.discriminator_input(G(z, asked), asked))
    assert torch.equal(D.body(pairs), D(G(z, asked), asked))
    assert "AskedFor(G, 32 labels)" in repr(C.AskedFor(G, asked))
    G.train()

    def pair(seed):
        G, D = C.ConditionalGenerator(seed=seed), C.ConditionalDiscriminator(seed=seed + 1)
        adam = dict(lr=2e-4, betas=(0.5, 0.999))
        return G, D, torch.optim.Adam(G.parameters(), **adam), torch.optim.Adam(D.parameters(), **adam)

    G1, D1, g1, d1 = pair(3)                # the library's way
    steps.d_step(C.AskedFor(G1, asked), D1.body, g1, d1, C.discriminator_input(x, y), z, logits=True)
    steps.g_step(C.AskedFor(G1, asked), D1.body, g1, d1, z, logits=True)
    G2, D2, g2, d2 = pair(3)                # written out, as in notebook 11's one-step cell
    bce = torch.nn.BCEWithLogitsLoss()
    fake = G2(z, asked)
    d_real, d_fake = D2(x, y), D2(fake.detach(), asked)
    loss_d = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
    d2.zero_grad(); loss_d.backward(); d2.step()
    d_out = D2(fake, asked)
    loss_g = bce(d_out, torch.ones_like(d_out))
    g2.zero_grad(); loss_g.backward(); g2.step()
    assert all(torch.equal(p, q) for p, q in zip(G1.parameters(), G2.parameters()))
    assert all(torch.equal(p, q) for p, q in zip(D1.parameters(), D2.parameters()))


def test_save_and_load_give_the_same_result(tmp_path):
    small = data.load_digits()
    run = C.train_conditional(small[0][:128], small[1][:128], epochs=2, seed=3, progress=False)
    path = run.save(tmp_path / "digits.pt")
    back = gl.load(path)
    assert isinstance(back, C.ConditionalResult) and isinstance(back.history, training.History)
    labels = torch.arange(10).repeat(3)
    assert torch.equal(C.generate(back.G, labels, seed=7), C.generate(run.G, labels, seed=7))
    assert back.history == run.history and back.history.columns == C.HISTORY_COLUMNS
    assert [e for e, _ in back.snapshots] == [0, 1, 2]
    assert all(torch.equal(a, b) for (_, a), (_, b) in zip(back.snapshots, run.snapshots))
    assert (back.status, back.message, back.epochs, back.seed, back.columns) == \
        (run.status, run.message, run.epochs, run.seed, run.columns)
    assert torch.equal(back.fixed_noise, run.fixed_noise) and repr(back) == repr(run)
    D_in = C.discriminator_input(small[0][:8], small[1][:8])
    assert torch.equal(back.D.body(D_in), run.D.body(D_in)) and not back.D.training
    run.save(path)                                  # a saved result may be replaced
    with pytest.raises(FileExistsError, match="not a saved gan-lesson result"):
        (tmp_path / "notes.txt").write_text("mine")
        run.save(tmp_path / "notes.txt")


def test_a_run_with_your_own_generator_input_needs_it_again_to_load(tmp_path):
    import torch.nn.functional as F

    def my_input(z, labels, classes=10):
        return torch.cat([z, F.one_hot(labels, num_classes=classes).float()], dim=1)

    small = data.load_digits()
    run = C.train_conditional(small[0][:64], small[1][:64], epochs=1, seed=0, progress=False, measure=False,
                              noise_dim=8, generator_input=my_input)
    path = run.save(tmp_path / "mine.pt")
    with pytest.raises(ValueError, match=r"trained with your own generator_input \(my_input\): the file holds G's "
                                         r"weights but not that function's code.*load\(path, generator=conditional"
                                         r"\.ConditionalGenerator\(noise_dim=8, generator_input=my_input\)\)"):
        gl.load(path)
    back = gl.load(path, generator=C.ConditionalGenerator(noise_dim=8, generator_input=my_input))
    assert back.G.generator_input is my_input
    assert torch.equal(C.generate(back.G, [1, 7], seed=0), C.generate(run.G, [1, 7], seed=0))
    with pytest.raises(TypeError, match="generator must be a ConditionalGenerator.*got"):
        gl.load(path, generator=my_input)
    with pytest.raises(ValueError, match=r"generator must be built with the settings of the saved one; it differs "
                                         r"in noise_dim=16 \(saved: 8\)"):
        gl.load(path, generator=C.ConditionalGenerator(noise_dim=16, generator_input=my_input))


def test_training_leaves_the_global_random_state_and_threads_alone():
    small = data.load_digits()
    state, threads = torch.get_rng_state(), torch.get_num_threads()
    C.train_conditional(small[0][:64], small[1][:64], epochs=1, seed=0, progress=False, threads=1)
    assert torch.equal(state, torch.get_rng_state()) and torch.get_num_threads() == threads


@pytest.mark.slow
def test_a_short_run_draws_the_digit_asked_for(trained):
    assert trained.status == "finished" and trained.epochs == 6
    assert len(trained.history["agreement"]) == 6 and len(trained.snapshots) == 7
    measured = C.class_agreement(trained.G, per_class=100, seed=0)
    assert measured.overall > 0.6                 # chance is 0.1
    assert sum(measured.counts) == 1000 and sum(map(sum, measured.confusion)) == 1000
    assert min(measured.per_class) > 0.2
    assert "overall" in str(measured) and "ConditionalResult(finished: 6 epochs" in repr(trained)


def test_an_untrained_generator_is_near_chance():
    measured = C.class_agreement(C.ConditionalGenerator(seed=0), per_class=50)
    assert measured.overall < 0.3


def test_real_digits_agree_with_their_labels():
    held, labels = images.held_out_digits()
    real = C.agreement_of(held, labels)
    assert real.overall == pytest.approx(images.digit_classifier().accuracy)
    assert real.overall > 0.9


def test_interrupting_keeps_what_was_trained(monkeypatch, capsys):
    calls = {"n": 0}
    real_generate = C.generate

    def generate_then_stop(G, labels, seed=0, noise=None):
        calls["n"] += 1
        if calls["n"] == 3:             # the snapshot after epoch 2
            raise KeyboardInterrupt
        return real_generate(G, labels, seed=seed, noise=noise)

    monkeypatch.setattr(C, "generate", generate_then_stop)
    small = data.load_digits()
    result = C.train_conditional(small[0][:64], small[1][:64], epochs=5, seed=0, measure=False)
    out = capsys.readouterr().out
    assert result.status == "interrupted" and result.epochs == 1
    assert "interrupted during epoch 2 of 5" in result.message and result.message in out
    assert len(result.history["loss_d"]) == 1 and len(result.snapshots) == 2
    assert isinstance(result.G, C.ConditionalGenerator)


def test_progress_line_and_closing_line(capsys):
    small = data.load_digits()
    C.train_conditional(small[0][:64], small[1][:64], epochs=2, seed=0)
    out = capsys.readouterr().out
    assert "conditional GAN: 2 epochs in" in out and "agreement 0." in out and "(share drawn as asked)" in out
    C.train_conditional(small[0][:64], small[1][:64], epochs=1, seed=0, progress=False)
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------------------- pictures and the picker

def test_digit_rows_draws_one_row_per_digit(trained):
    ax = C.digit_rows(trained.G, columns=6)
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(k) for k in range(10)]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() == "digit asked for"
    plt.close("all")
    fig = C.conditional_snapshot_strip(trained, count=3)
    assert len(fig.axes) == 3
    ax = C.agreement_bars(C.class_agreement(trained.G, per_class=20), C.agreement_of(*images.held_out_digits()))
    assert len(ax.get_legend().get_texts()) == 3
    C.conditional_diagram()
    plt.close("all")


def test_picker_redraws_for_the_digit_and_for_new_noise(trained):
    box = C.digit_picker(trained.G, n=8)
    first, caption = box.image.value, box.caption.value
    assert first[:4] == b"\x89PNG" and "reads" in caption and "as a 0" in caption
    box.digit.value = 7
    seven = box.image.value
    assert seven != first and "as a 7" in box.caption.value and box.seed == 0
    box.new_noise.click()
    assert box.seed == 1 and box.image.value != seven and "as a 7" in box.caption.value
    png, text = C.picker_frame(trained.G, 7, seed=0, n=8)
    assert png == seven                                  # the same digit and noise: the same picture


def test_snapshot_strip_at_chosen_epochs_and_a_clear_error_for_missing_ones():
    import matplotlib.pyplot as plt
    from gan_lesson import conditional as C
    run = C.train_conditional(epochs=2, seed=0, progress=False)
    fig = C.conditional_snapshot_strip(run, epochs=(0, 2))
    assert [ax.get_title() for ax in fig.axes] == ["epoch 0", "epoch 2"]
    plt.close(fig)
    with pytest.raises(ValueError, match=r"epochs must list epochs with a stored snapshot \(0 to 2\); got \[5\]"):
        C.conditional_snapshot_strip(run, epochs=[5])
