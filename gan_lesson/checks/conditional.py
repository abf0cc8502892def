"""Checker for notebook 11 (conditional digits): the conditional generator's input.

    generator_input(z, labels, classes=10) -> (n, noise_dim + classes) float32

The noise ``z`` ``(n, noise_dim)`` unchanged in the first ``noise_dim`` columns, then each row's
label as a one-hot row of ``classes`` numbers (a 1 in column ``label``, 0 elsewhere),
concatenated along dimension 1 (the columns). The checker calls the student's function on a
small batch whose largest label is below 9 (so that ``F.one_hot`` without ``num_classes`` shows
itself), then with ``classes=4``, and names what is off: the dimension of the concatenation,
the label appended as a plain number, the noise missing or changed, the order, the dtype, a
label part that is not one-hot, or a hard-coded 10.
"""
import numpy as np
import torch
import torch.nn.functional as F

from .core import Fail, NotAttempted, call, checker, expect

__all__ = ["check_generator_input"]

NOISE_DIM = 16
LABELS = (3, 0, 7, 1, 4, 2)          # no 8 or 9: F.one_hot without num_classes makes 8 columns, not 10
SMALL = (3, 0, 1, 2, 3)              # the probe with classes=4


def _cols(t):
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def _run(fn, z, labels, classes=None, what="generator_input(z, labels)"):
    """Call the student's function; turn stubs and the usual crashes into diagnoses."""
    if not callable(fn):
        raise Fail(f"generator_input should be a function, but it is {type(fn).__name__}.",
                   "Run the cell that defines it, and pass the function itself (no parentheses).")
    kept = z.clone()
    try:
        out = call(fn, *((z, labels) if classes is None else (z, labels, classes)), what=what, diagnose=False)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as exc:
        text = str(exc)
        if "Sizes of tensors must match except in dimension 0" in text:
            raise Fail(f"{what} stacks the one-hot rows under the noise (dimension 0, more rows) instead of "
                       "beside it: the noise has 16 columns and the one-hot label 10, so the rows do not fit.",
                       "Concatenate along the columns: torch.cat([z, one_hot], dim=1).") from None
        if "same number of dimensions" in text:
            raise Fail(f"{what} appends `labels` itself, a 1-D tensor of shape ({len(labels)},), to the 2-D noise: "
                       "the label has to become a one-hot row first.",
                       "F.one_hot(labels, num_classes=classes).float() gives one row of classes numbers per "
                       "label; concatenate that.") from None
        if classes is not None and isinstance(exc, TypeError) and ("positional argument" in text or "argument" in text):
            raise Fail(f"generator_input(z, labels, classes={classes}) raised TypeError: {exc}",
                       "Keep the third argument: def generator_input(z, labels, classes=10).") from None
        if "cat" in text and ("Long" in text or "dtype" in text or "type" in text):
            raise Fail(f"{what} raised {type(exc).__name__}: {exc}",
                       "F.one_hot returns whole numbers (int64); make them floats with .float() before "
                       "concatenating them with the noise.") from None
        raise Fail(f"calling {what} raised {type(exc).__name__}: {exc}",
                   "Try it on a small input in a cell of its own: generator_input(torch.randn(2, 16), "
                   "torch.tensor([3, 7])).") from None
    if out is Ellipsis:
        raise NotAttempted()
    expect(torch.equal(z, kept), f"{what} changed the noise z in place.",
           "Build a new tensor with torch.cat; do not write into z.")
    return out


def _is_one_hot(part, labels, classes):
    return (part.shape == (len(labels), classes) and torch.equal(part, F.one_hot(labels, classes).to(part.dtype)))


@checker("the conditional generator's input, generator_input(z, labels)")
def check_generator_input(generator_input):
    z = torch.randn(len(LABELS), NOISE_DIM, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor(LABELS)
    n, classes = len(LABELS), 10
    out = _run(generator_input, z, labels)
    expect(out is not None, "generator_input returns None.", "End it with `return torch.cat([...], dim=1)`.")
    if isinstance(out, np.ndarray):
        raise Fail("generator_input returns a NumPy array; the generator only takes torch tensors.",
                   "Build it with torch.cat and F.one_hot.")
    expect(isinstance(out, torch.Tensor), f"generator_input returns a {type(out).__name__}, not a tensor.",
           "Return torch.cat([z, one_hot], dim=1).")
    want = (n, NOISE_DIM + classes)
    shape = _cols(out)
    expect(not (out.dim() == 2 and out.shape[0] == 2 * n),
           f"the result has shape {shape}: twice as many rows as noise vectors, so the one-hot rows were "
           "stacked under the noise (dimension 0).",
           "Concatenate along the columns: torch.cat([z, one_hot], dim=1).")
    expect(out.dim() == 2, f"the result has shape {shape}; it should be {_cols(torch.empty(want))}: one row per "
           "noise vector, noise_dim + classes numbers in each.",
           "Concatenate two 2-D tensors, z (n, noise_dim) and the one-hot labels (n, classes), with dim=1.")
    expect(out.shape[0] == n, f"the result has {out.shape[0]} rows for {n} noise vectors.",
           "One row per noise vector: torch.cat([z, one_hot], dim=1) keeps the rows.")
    width = out.shape[1]
    if width == NOISE_DIM:
        same = torch.allclose(out.double(), z.double())
        raise Fail("the result has only the noise's 16 columns" + (" (it is z unchanged)" if same else "") +
                   ": the label is missing, so G could not know which digit is meant.",
                   "Append the one-hot label: torch.cat([z, F.one_hot(labels, classes).float()], dim=1).")
    if width == classes:
        raise Fail("the result has only 10 columns: the one-hot label without the noise, so G would draw the "
                   "same picture every time it is asked for a digit.",
                   "Keep the noise in front: torch.cat([z, one_hot], dim=1).")
    if width == NOISE_DIM + 1:
        raise Fail(f"the result has shape {shape}: the label was appended as one number (a single column), "
                   "not as a one-hot row of 10.",
                   "A number 0–9 in one column tells G that 8 is 'more' than 3; use "
                   "F.one_hot(labels, num_classes=classes).float() (10 columns).")
    if width == NOISE_DIM + max(LABELS) + 1:
        raise Fail(f"the result has shape {shape}: {max(LABELS) + 1} label columns instead of 10. This batch's "
                   f"largest label is {max(LABELS)}, and F.one_hot without num_classes makes only as many columns "
                   "as the largest label needs, so the width would change from batch to batch.",
                   "Say how many classes there are: F.one_hot(labels, num_classes=classes).")
    expect(width == want[1], f"the result has shape {shape}; it should be (6, 26): 16 noise numbers and a "
           "one-hot label of 10 in each row.",
           "torch.cat([z, F.one_hot(labels, num_classes=classes).float()], dim=1).")
    expect(out.dtype == torch.float32, f"the result has dtype {str(out.dtype).replace('torch.', '')}; the "
           "generator's weights are float32, so its input must be float32 too.",
           "F.one_hot returns int64: convert it with .float() (and keep z as it is).")
    front, back = out[:, :NOISE_DIM], out[:, NOISE_DIM:]
    if not torch.equal(front, z):
        swapped = torch.equal(out[:, classes:], z) and _is_one_hot(out[:, :classes], labels, classes)
        expect(not torch.equal(front, -z), "the whole result is negated: the first 16 columns hold −z instead of "
               "the noise z (and the label part −1 instead of 1).", "Return torch.cat([z, one_hot], dim=1) itself, "
               "with no minus sign in front.")
        expect(not swapped, "the one-hot label comes first and the noise second; the generator here expects the "
               "noise in the first 16 columns, then the label.",
               "Swap the order: torch.cat([z, one_hot], dim=1).")
        expect(False, "the first 16 columns are not the noise z you were given (drawn afresh, rescaled or "
               "otherwise changed).",
               "Use z as it is: torch.cat([z, one_hot], dim=1).")
    binary = bool(((back == 0) | (back == 1)).all())
    ones = back.sum(dim=1)
    if not (binary and torch.equal(ones, torch.ones(n))):
        if torch.equal(back.argmax(dim=1), labels) and bool((back.count_nonzero(dim=1) == 1).all()):
            raise Fail("the label part has one non-zero number per row, in the right column, but it is not 1 "
                       f"(row 0 holds {float(back[0].max()):g}).",
                       "A one-hot row holds a single 1 and zeros: F.one_hot(labels, classes).float().")
        raise Fail(f"the label part (the last 10 columns) is not one-hot: each row must hold exactly one 1 and "
                   f"nine 0s; the first row holds {[round(float(v), 3) for v in back[0]]}.",
                   "F.one_hot(labels, num_classes=classes).float() builds it.")
    read = back.argmax(dim=1)
    if not torch.equal(read, labels):
        if torch.equal(read, labels + 1) or torch.equal(read, labels - 1):
            problem = "the 1 sits one column off: label k must put its 1 in column k of the label part (0-based)."
        elif torch.equal(read, classes - 1 - labels):
            problem = "the label columns run backwards: label k must put its 1 in column k, not column 9 − k."
        else:
            problem = (f"the 1s are not in the labels' columns: the labels were {list(LABELS)}, the 1s sit in "
                       f"columns {read.tolist()} of the label part.")
        raise Fail(problem, "F.one_hot(labels, num_classes=classes) puts the 1 of label k in column k.")

    # the classes argument must be honoured
    z4 = torch.randn(len(SMALL), 3, generator=torch.Generator().manual_seed(1))
    labels4 = torch.tensor(SMALL)
    out4 = _run(generator_input, z4, labels4, classes=4, what="generator_input(z, labels, classes=4)")
    ok4 = isinstance(out4, torch.Tensor) and out4.shape == (len(SMALL), 3 + 4)
    expect(ok4 or not (isinstance(out4, torch.Tensor) and out4.shape == (len(SMALL), 3 + 10)),
           "generator_input(z, labels, classes=4) still makes 10 label columns: the number 10 is written into "
           "the function instead of using its argument classes.",
           "Use the argument: F.one_hot(labels, num_classes=classes).")
    expect(ok4, f"generator_input(z, labels, classes=4) with noise of shape (5, 3) returns "
           f"{_cols(out4) if isinstance(out4, torch.Tensor) else type(out4).__name__}, not (5, 7).",
           "Use the arguments: the noise's own width and num_classes=classes.")
    expect(torch.equal(out4[:, :3], z4) and _is_one_hot(out4[:, 3:], labels4, 4),
           "with classes=4 the result is not the noise followed by one-hot labels of 4 columns.",
           "torch.cat([z, F.one_hot(labels, num_classes=classes).float()], dim=1).")
    return (f"noise {_cols(z)} and labels ({n},) → {shape} float32: z unchanged in columns 0–15, each row's "
            "label one-hot in columns 16–25 (concatenated along dimension 1); classes=4 gives (5, 7) too.")
