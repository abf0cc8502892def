"""Data loaders: the bundled 8×8 digits and a folder of the student's own pictures."""
import numpy as np
import pytest
import torch
from PIL import Image

from gan_lesson import data


# --------------------------------------------------------------------------- the digits

def test_load_digits_shapes_range_and_labels():
    images, labels = data.load_digits()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == torch.float32
    assert labels.shape == (1797,) and labels.dtype == torch.int64
    assert float(images.min()) == -1.0 and float(images.max()) == 1.0
    counts = torch.bincount(labels)
    assert len(counts) == 10 and int(counts.min()) >= 170


def test_load_digits_maps_0_to_16_onto_minus_1_to_1():
    from sklearn.datasets import load_digits as sk
    raw = sk().images
    images, labels = data.load_digits()
    np.testing.assert_allclose(images[:, 0].numpy(), raw / 8 - 1, atol=1e-6)
    assert labels.tolist() == sk().target.tolist()
    # the background (0) is −1 and full ink (16) is +1
    assert float(images[0, 0, 0, 0]) == -1.0


# --------------------------------------------------------------------------- a folder of pictures

def save(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8), mode=mode).save(path)


@pytest.fixture
def folder(tmp_path):
    """A folder of 3 pictures (PNG, JPEG, a greyscale PNG in a sub-folder) and a text file."""
    root = tmp_path / "pets"
    wide = np.zeros((20, 60, 3), dtype=np.uint8)
    wide[:, 20:40] = 255                             # white in the middle third, black at the sides
    save(root / "a_wide.png", wide)
    save(root / "b_photo.JPG", np.full((40, 30, 3), 128, dtype=np.uint8))
    save(root / "more" / "c_grey.png", np.full((16, 16), 255, dtype=np.uint8))
    (root / "notes.txt").write_text("not a picture")
    return root


def test_reads_every_picture_crops_the_middle_square_and_resizes(folder):
    x = data.load_image_folder(folder, size=8)
    assert x.shape == (3, 1, 8, 8) and x.dtype == torch.float32
    assert float(x.min()) >= -1 and float(x.max()) <= 1
    # sorted: a_wide.png, b_photo.JPG, more/c_grey.png
    assert torch.allclose(x[0], torch.ones(1, 8, 8), atol=1e-3)        # the middle square is all white
    assert abs(float(x[1].mean()) - (128 / 127.5 - 1)) < 0.02         # mid grey (JPEG: nearly exact)
    assert torch.allclose(x[2], torch.ones(1, 8, 8))


def test_colour_pictures_have_three_channels(folder):
    x = data.load_image_folder(str(folder), size=16, grayscale=False)
    assert x.shape == (3, 3, 16, 16)


def test_limit_and_recursive(folder):
    assert data.load_image_folder(folder, size=4, limit=1).shape[0] == 1
    assert data.load_image_folder(folder, size=4, recursive=False).shape[0] == 2


def test_missing_folder_names_the_path_and_the_endings(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as err:
        data.load_image_folder(missing)
    message = str(err.value)
    assert "does not exist" in message and str(missing) in message and ".png" in message and ".jpg" in message


def test_a_file_is_not_a_folder(folder):
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        data.load_image_folder(folder / "a_wide.png")


def test_a_folder_without_pictures(tmp_path):
    (tmp_path / "readme.txt").write_text("nothing to see")
    with pytest.raises(ValueError) as err:
        data.load_image_folder(tmp_path)
    message = str(err.value)
    assert "holds no images" in message and str(tmp_path) in message and ".jpeg" in message


def test_an_unreadable_picture_is_named_or_skipped(folder):
    (folder / "broken.png").write_bytes(b"this is not a png")
    with pytest.raises(ValueError, match="broken.png .*cannot be read"):
        data.load_image_folder(folder, size=8)
    assert data.load_image_folder(folder, size=8, skip_unreadable=True).shape[0] == 3


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(size=2), ValueError, "size must be a whole number from 4 to 512; got 2"),
    (dict(size=8.5), TypeError, "size must be a whole number"),
    (dict(grayscale="yes"), TypeError, "grayscale must be True or False"),
    (dict(limit=0), ValueError, "limit must be a whole number >= 1"),
])
def test_argument_checks(folder, kwargs, error, words):
    with pytest.raises(error, match=words):
        data.load_image_folder(folder, **kwargs)


def test_path_must_be_a_name():
    with pytest.raises(TypeError, match="path must be a folder name"):
        data.load_image_folder(42)
