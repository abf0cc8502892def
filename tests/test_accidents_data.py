"""Accidents with real-world picture files and wrongly scaled digits: each test builds its own
small files in tmp_path with PIL."""
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from gan_lesson import conditional, data, images


def _save(folder, name, picture, **kwargs):
    folder.mkdir(exist_ok=True)
    picture.save(folder / name, **kwargs)


def test_exif_orientation_is_applied(tmp_path):
    # 16 wide × 8 high: left half black, right half white; the tag says "rotate 90° clockwise to view"
    a = np.zeros((8, 16), np.uint8)
    a[:, 8:] = 255
    img = Image.fromarray(a).convert("RGB")
    exif = img.getexif()
    exif[0x0112] = 6
    _save(tmp_path / "phone", "photo.jpg", img, exif=exif, quality=95)
    x = data.load_image_folder(tmp_path / "phone", size=8)[0, 0]
    # upright the picture is 8 wide × 16 high, black on top and white below: the middle square is
    # split top/bottom, not left/right as the sideways file would be
    top, bottom = x[:2].mean(), x[-2:].mean()
    assert top < -0.5 < 0.5 < bottom, (top, bottom)


def test_16_bit_greyscale_is_scaled_not_clipped(tmp_path):
    a = np.full((8, 8), 257 * 64, np.uint16)                # a dark grey: 64 of 255
    _save(tmp_path / "scans", "deep.png", Image.fromarray(a))
    assert Image.open(tmp_path / "scans" / "deep.png").mode in ("I;16", "I")
    x = data.load_image_folder(tmp_path / "scans", size=8)
    assert torch.allclose(x, torch.full_like(x, 64 / 127.5 - 1), atol=1e-4)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_transparent_background_becomes_white(tmp_path, mode):
    if mode == "P":
        img = Image.new("P", (8, 8), 0)
        img.putpalette([0, 0, 0] * 256)
        _save(tmp_path / "logos", "logo.png", img, transparency=0)
    else:
        img = Image.new(mode, (8, 8), (0,) * len(mode))          # black, fully transparent
        _save(tmp_path / "logos", "logo.png", img)
    for grayscale in (True, False):
        x = data.load_image_folder(tmp_path / "logos", size=8, grayscale=grayscale)
        assert torch.allclose(x, torch.ones_like(x)), (mode, grayscale, x.min())


def test_opaque_rgba_loads_as_before(tmp_path):
    img = Image.new("RGBA", (8, 8), (10, 120, 200, 255))
    _save(tmp_path / "opaque", "a.png", img)
    x = data.load_image_folder(tmp_path / "opaque", size=8, grayscale=False)
    expected = torch.tensor([10, 120, 200]).view(1, 3, 1, 1) / 127.5 - 1
    assert torch.allclose(x, expected.expand_as(x), atol=1e-5)


def test_decompression_bomb_names_the_file(tmp_path, monkeypatch):
    _save(tmp_path / "huge", "a_small.png", Image.new("L", (8, 8), 128))
    _save(tmp_path / "huge", "b_bomb.png", Image.new("L", (40, 40), 128))     # 1600 pixels
    _save(tmp_path / "huge", "c_warn.png", Image.new("L", (30, 30), 128))     # 900 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)       # error above 1000 pixels, warning above 500
    with pytest.raises(ValueError, match=r"b_bomb\.png.*1,600 pixels.*skip_unreadable=True"):
        data.load_image_folder(tmp_path / "huge", size=8)
    (tmp_path / "huge" / "b_bomb.png").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"c_warn\.png.*900 pixels"):
            data.load_image_folder(tmp_path / "huge", size=8)
    x = data.load_image_folder(tmp_path / "huge", size=8, skip_unreadable=True)
    assert x.shape == (1, 1, 8, 8)


def test_train_conditional_rejects_raw_0_to_16_digits():
    from sklearn.datasets import load_digits
    bunch = load_digits()
    raw = torch.tensor(bunch.images[:64], dtype=torch.float32).unsqueeze(1)
    labels = torch.tensor(bunch.target[:64])
    with pytest.raises(ValueError, match=r"images must lie in \[−1, 1\].*0 to 16.*images / 8 - 1"):
        conditional.train_conditional(raw, labels, epochs=1, progress=False, measure=False)


def test_generate_accepts_zero_d_tensor_and_array():
    G = conditional.ConditionalGenerator(seed=0)
    expected = conditional.generate(G, 3)
    assert torch.equal(conditional.generate(G, torch.tensor(3)), expected)
    assert torch.equal(conditional.generate(G, np.array(3)), expected)
    with pytest.raises(TypeError, match="whole numbers"):
        conditional.generate(G, torch.tensor(3.0))


def test_digit_score_warns_on_0_to_1_pictures():
    real, _ = images.held_out_digits()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        images.digit_score(real[:50])                    # [−1, 1]: no warning
    with pytest.warns(UserWarning, match=r"images has no value below 0.*\[−1, 1\]"):
        images.digit_score((real[:50] + 1) / 2)
