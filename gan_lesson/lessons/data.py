"""Image data for the image lessons, offline: the 8×8 digits that ship with scikit-learn, or a
folder of your own pictures.

Both return float tensors of shape ``(n, channels, height, width)`` scaled to [−1, 1], the range
of a generator's tanh output::

    images, labels = load_digits()                 # (1797, 1, 8, 8), labels 0–9 of shape (1797,)
    pets = load_image_folder("pets", size=32)      # (n, 1, 32, 32) greyscale; grayscale=False: (n, 3, 32, 32)
"""
import re
import warnings
from pathlib import Path

import numpy as np
import torch

from ..interrupts import interrupt_guard
from ..validation import check_bool, check_int

__all__ = ["load_digits", "load_image_folder", "IMAGE_EXTENSIONS", "DIGIT_LEVELS"]

#: File name endings ``load_image_folder`` reads (case does not matter).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")

#: The digits' pixels are whole numbers from 0 (background) to 16 (ink).
DIGIT_LEVELS = 16


def load_digits():
    """The 1797 handwritten digits bundled with scikit-learn, as images in [−1, 1].

    Returns ``(images, labels)``: images ``(1797, 1, 8, 8)`` float32, where −1 is the white
    background and +1 full ink (pixel value v in 0–16 becomes v / 8 − 1); labels ``(1797,)``
    int64, the digit 0–9 each image shows. No download: the data is inside scikit-learn.
    """
    # the first call imports scikit-learn: a Ctrl-C in the middle of that import would break it
    # until the kernel restarts, so it waits until the import is whole, then stops the cell
    with interrupt_guard() as guard:
        from sklearn.datasets import load_digits as _sklearn_digits

        bunch = _sklearn_digits()
    guard.pass_on()
    images = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / (DIGIT_LEVELS / 2) - 1
    labels = torch.tensor(bunch.target, dtype=torch.int64)
    return images, labels


def _image_files(folder, recursive):
    pattern = folder.rglob("*") if recursive else folder.glob("*")
    return sorted(p for p in pattern if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
                  and not p.name.startswith("."))


def _pixels_text(exc):
    """The pixel count PIL's decompression-bomb message states, e.g. "200,000,000 pixels"."""
    found = re.search(r"\((\d+) pixels\)", str(exc))
    return f"{int(found.group(1)):,} pixels" if found else "too many pixels"


def _upright_8bit(picture, mode):
    """``picture`` turned upright by its EXIF orientation tag, on a white background if it has
    transparency, with 16-bit greyscale brought to 0–255, then converted to ``mode``."""
    from PIL import Image, ImageOps

    picture = ImageOps.exif_transpose(picture)
    if picture.mode.startswith("I;16") or picture.mode == "I":
        # 16-bit greyscale (0–65535; older Pillow opens it as "I"): convert("L") would clip every
        # value above 255 to white. An "I" picture whose values fit 0–255 is left as it was.
        values = np.asarray(picture, dtype=np.float64)
        if picture.mode != "I" or values.max(initial=0) > 255:
            picture = Image.fromarray(np.clip(np.rint(values / 257), 0, 255).astype(np.uint8), "L")
    if picture.mode == "P" and "transparency" in picture.info:
        picture = picture.convert("RGBA")
    if picture.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = picture.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        picture = Image.alpha_composite(white, rgba)
    return picture.convert(mode)


def load_image_folder(path, size=32, grayscale=True, *, limit=None, recursive=True, skip_unreadable=False):
    """Every image file in the folder ``path``, as a tensor ``(n, c, size, size)`` in [−1, 1].

    Each picture is cropped to the square in its middle and resized to ``size`` × ``size``
    pixels; ``grayscale=True`` gives one channel (c = 1), ``False`` three (RGB). Files are read
    in sorted order (sub-folders too unless ``recursive=False``); ``limit`` keeps the first
    ``limit`` of them. Accepted endings: ``IMAGE_EXTENSIONS``. A file that cannot be read as an
    image (or is too large to open safely) raises a ``ValueError`` naming it, unless
    ``skip_unreadable=True``. Pictures are turned upright by their EXIF orientation tag (phone
    photos), transparent parts count as white, and 16-bit greyscale is scaled to 8 bits.

    Unlike the digits, the values are light = +1, dark = −1 (photographs are not ink on paper);
    draw them with ``image_grid(..., cmap="gray")``.
    """
    from PIL import Image, UnidentifiedImageError

    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a folder name (a string or pathlib.Path); got {type(path).__name__}.")
    size = check_int("size", size, low=4, high=512)
    check_bool("grayscale", grayscale)
    check_bool("recursive", recursive)
    check_bool("skip_unreadable", skip_unreadable)
    if limit is not None:
        limit = check_int("limit", limit, low=1)
    folder = Path(path).expanduser()
    accepted = ", ".join(IMAGE_EXTENSIONS)
    if not folder.exists():
        raise FileNotFoundError(
            f"load_image_folder: the folder {str(path)!r} does not exist (paths are relative to the folder "
            f"the notebook runs in). Put your pictures ({accepted}) in a folder and pass its name.")
    if not folder.is_dir():
        raise NotADirectoryError(
            f"load_image_folder: {str(path)!r} is a file, not a folder; pass the folder that holds your "
            f"pictures ({accepted}).")
    files = _image_files(folder, recursive)
    if not files:
        where = "it or its sub-folders" if recursive else "it"
        raise ValueError(f"load_image_folder: the folder {str(path)!r} holds no images: no file in {where} "
                         f"ends with one of {accepted}.")
    if limit is not None:
        files = files[:limit]
    mode = "L" if grayscale else "RGB"
    arrays = []
    for file in files:
        try:
            with warnings.catch_warnings():
                # PIL only warns (DecompressionBombWarning) between its limit and twice it: treat both alike
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(file) as picture:
                    picture = _upright_8bit(picture, mode)
                    w, h = picture.size
                    side = min(w, h)
                    left, top = (w - side) // 2, (h - side) // 2
                    picture = picture.crop((left, top, left + side, top + side))
                    picture = picture.resize((size, size), Image.Resampling.LANCZOS)
                    arrays.append(np.asarray(picture, dtype=np.float32))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            if skip_unreadable:
                continue
            raise ValueError(
                f"load_image_folder: {file.relative_to(folder)} in {str(path)!r} is too large to open safely "
                f"({_pixels_text(exc)}; PIL's limit is {Image.MAX_IMAGE_PIXELS:,}); shrink it, remove it, or "
                f"pass skip_unreadable=True.") from None
        except (UnidentifiedImageError, OSError) as exc:
            if skip_unreadable:
                continue
            raise ValueError(f"load_image_folder: {file.relative_to(folder)} in {str(path)!r} cannot be read as "
                             f"an image ({type(exc).__name__}); remove it or pass skip_unreadable=True.") from None
    if not arrays:
        raise ValueError(f"load_image_folder: none of the {len(files)} image files in {str(path)!r} could be read.")
    stack = np.stack(arrays)                               # (n, size, size) or (n, size, size, 3), 0–255
    stack = stack[:, None] if grayscale else stack.transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(stack)) / 127.5 - 1
