"""The checking engine: run a student's training step and the reference side by side, on copies of
the same networks with the same batch and noise, and compare what they did, not only what came out.

A step is run on deep copies of a probe pair (G, D) with recording SGD optimizers (an update is
exactly −lr · the gradient the step used). The ``Trace`` keeps every event in order:

    zero_grad   which optimizer, when
    backward    which loss went back, and what it added to each network's gradients
    step        which optimizer, and the gradients it used (a copy, taken as it stepped)

plus the weights before and after, the value returned, and an error if the step raised one. The
gradient a step used is then explained as a sum of the reference loss terms (real → 1, fake → 0,
G's term), each with a coefficient, a target (1 or 0), a form (the right one or a sigmoid too many),
an input (as given or squashed by a sigmoid) and a share of gradients left over from before:

    used  ≈  a · ∇ BCE(D(real), 1)  +  b · ∇ BCE(D(fake), 0)  +  s · (left over)

The right step has a = b = 1 (or ½, the mean of the two), s = 0. Every other explanation is a
mistake with a name: a missing term (a = 0), a sign slip in one term (b = −1), swapped labels, a
loss summed over the batch (a = n), gradients not zeroed (s = 1), a second sigmoid. ``mistakes``
holds the words for each, in the exercise's own vocabulary; the three step checkers (notebooks
05, 09 and 10) share them. When no explanation fits, ``mistakes.effect_d`` / ``effect_g`` read
each term's share of the update (least squares) and say which term pushed the wrong way.

``sweep`` compares a loss with its reference across D's logits from −200 to 200 (shape, dtype,
value, gradient), where a log of a sigmoid overflows or goes flat.

Time limits are those of ``core``: each run of the student's step is a ``call`` with the
checker's limit, so a step that never returns is stopped and the check says so.
"""
import contextlib
import copy
import dataclasses
import math

import torch
import torch.nn.functional as F

from .core import NotAttempted, call

__all__ = ["Trace", "Event", "Probe", "run_step", "explain", "Explanation", "Term", "flat", "close", "TOL",
           "Difference", "sweep", "LOGIT_RANGE"]

TOL = 2e-3          # relative tolerance when comparing two gradients or updates (float32, any summation order)


def flat(tensors):
    """The tensors as one flat vector (detached)."""
    return torch.cat([t.detach().reshape(-1) for t in tensors])


def flat_grad(params):
    """The parameters' gradients as one flat vector (zeros where a gradient is None)."""
    return torch.cat([(torch.zeros_like(p) if p.grad is None else p.grad.detach()).reshape(-1) for p in params])


def close(a, b, tol=TOL):
    """``a`` equals ``b`` up to a relative error ``tol`` (of b's length)."""
    return bool((a - b).norm() <= tol * max(float(b.norm()), 1e-12) + 1e-9)


def is_zero(v):
    return float(v.abs().max()) == 0.0 if v.numel() else True


# --------------------------------------------------------------------------- the recording

@dataclasses.dataclass
class Event:
    """One thing the step did. ``grads[name]``: the network's gradients after a backward (before a
    zero_grad or a step: what the step used); ``added[name]``: what a backward added to them;
    ``params[name]``: the network's weights at that moment."""
    kind: str                   # "zero_grad", "backward" or "step"
    who: str = None             # the optimizer's name for zero_grad and step ("d_opt", "g_opt")
    grads: dict = None
    added: dict = None
    params: dict = None
    value: float = None         # the loss a backward started from


class Trace:
    """What one run of a student's step did to the networks ``nets`` ({"G": G, "D": D})."""

    def __init__(self, nets):
        self.nets = nets
        self.events = []
        self.before = {n: flat(m.parameters()) for n, m in nets.items()}
        self.start_grads = self.grads()
        self.after = None
        self.out = None
        self.error = None          # the exception the step raised, if any
        self.inputs = {n: [] for n in nets}     # what each network was called on, in order

    def saw(self, name, batch):
        """True if network ``name`` was called on ``batch`` (or on a batch whose rows include all of it)."""
        for x in self.inputs[name]:
            if x.shape == batch.shape and torch.equal(x, batch):
                return True
            if x.shape[1:] == batch.shape[1:] and len(x) > len(batch):
                if any(torch.equal(x[i:i + len(batch)], batch) for i in range(0, len(x) - len(batch) + 1)):
                    return True
        return False

    def grads(self):
        return {n: flat_grad(list(m.parameters())) for n, m in self.nets.items()}

    def params(self):
        return {n: flat(m.parameters()) for n, m in self.nets.items()}

    def log(self, kind, who=None, added=None, value=None):
        self.events.append(Event(kind, who, self.grads(), added, self.params(), value))

    # what happened, in words the checkers use
    def of(self, kind, who=None):
        return [i for i, e in enumerate(self.events) if e.kind == kind and (who is None or e.who == who)]

    def moved(self, name):
        return not torch.equal(self.after[name], self.before[name])

    def reached(self, name, start=0, stop=None):
        """True if a backward between events ``start`` and ``stop`` added gradient to network ``name``."""
        return any(not is_zero(self.events[i].added[name]) for i in self.of("backward")
                   if start <= i < (len(self.events) if stop is None else stop))


class RecordingSGD(torch.optim.SGD):
    """Plain SGD that tells its ``Trace`` each zero_grad and step (with the gradients it uses)."""

    def __init__(self, params, lr, name, trace):
        super().__init__(params, lr=lr)
        self.name, self.trace = name, trace

    def zero_grad(self, set_to_none=True):
        super().zero_grad(set_to_none=set_to_none)
        self.trace.log("zero_grad", self.name)

    def step(self, closure=None):
        self.trace.log("step", self.name)
        return super().step(closure)

    def __repr__(self):
        return f"SGD (lr={self.defaults['lr']})"


@contextlib.contextmanager
def _recording_backward(trace):
    """While the student's step runs, every backward pass (``loss.backward()`` or
    ``torch.autograd.backward(loss)``; the first calls the second) is logged with what it added."""
    original = torch.autograd.backward

    def backward(tensors, *args, **kwargs):
        before = trace.grads()
        first = tensors[0] if isinstance(tensors, (tuple, list)) and tensors else tensors
        try:
            value = float(first.detach().reshape(-1)[0]) if first.numel() else None
        except Exception:  # noqa: BLE001  (not a tensor: the real backward says what is wrong)
            value = None
        result = original(tensors, *args, **kwargs)
        after = trace.grads()
        trace.log("backward", added={n: after[n] - before[n] for n in after}, value=value)
        return result

    torch.autograd.backward = backward
    try:
        yield
    finally:
        torch.autograd.backward = original


def run_step(fn, nets, args, *, lr, stale, what, optimizers=(("g_opt", "G"), ("d_opt", "D"))):
    """Run ``fn(G, D, g_opt, d_opt, *args)`` on copies of ``nets`` and return its ``Trace``.

    ``stale``: {network name: value} planted in the copies' gradients first, as an earlier step
    leaves them. The student's exceptions are kept in ``trace.error`` (a stub raises NotAttempted;
    a time-out ends the check through ``core``).
    """
    copies = {n: copy.deepcopy(m) for n, m in nets.items()}
    for name, value in stale.items():
        for p in copies[name].parameters():
            p.grad = torch.full_like(p, value)
    trace = Trace(copies)
    opts = {o: RecordingSGD(copies[n].parameters(), lr, o, trace) for o, n in optimizers}

    def record_input(name):
        def hook(module, inputs):
            if inputs and isinstance(inputs[0], torch.Tensor):
                trace.inputs[name].append(inputs[0].detach().clone())
        return hook

    handles = [m.register_forward_pre_hook(record_input(n)) for n, m in copies.items()]
    with _recording_backward(trace):
        try:
            out = call(fn, copies["G"], copies["D"], opts["g_opt"], opts["d_opt"], *[a.clone() for a in args],
                       what=what, diagnose=False)
        except NotImplementedError:
            raise NotAttempted() from None
        except Exception as exc:  # noqa: BLE001  (the checker names it)
            trace.error = exc
            out = None
        finally:
            for h in handles:
                h.remove()
    if out is Ellipsis:
        raise NotAttempted()
    trace.out = out
    trace.after = trace.params()
    return trace


# --------------------------------------------------------------------------- the reference terms

@dataclasses.dataclass(frozen=True)
class Term:
    """One way a loss term can be written: its target, its form, its input, its coefficient."""
    name: str                 # "real", "fake", "g", "leak", "stale", ...
    target: int = None        # 1 or 0
    form: str = "right"       # "right", "double" (a sigmoid too many) or "swapped" (targets and output swapped)
    squashed: bool = False    # its input went through a sigmoid first
    coef: float = 1.0


class Probe:
    """A small fixed G and D, a real batch and noise; the reference loss terms on them.

    ``logits``: D returns logits (BCE with logits is the right loss) or probabilities (plain BCE).
    """

    def __init__(self, G, D, real, z, *, logits):
        self.G, self.D, self.real, self.z, self.logits = G, D, real, z, logits
        self.n = real.shape[0]

    def bce(self, out, target, form="right"):
        full = torch.full_like(out, float(target))
        if form == "swapped":            # the targets where D's output belongs, and D's output as the targets
            return F.binary_cross_entropy_with_logits(full, out)
        if form == "double":             # one sigmoid more than the right loss applies
            return F.binary_cross_entropy_with_logits(torch.sigmoid(out) if self.logits else out, full)
        if self.logits:
            return F.binary_cross_entropy_with_logits(out, full)
        return F.binary_cross_entropy(out, full)

    def _nets(self, d_params=None, g_params=None):
        """Working copies of G and D (made once) with the given weights (default: the probe's own)."""
        if not hasattr(self, "_work"):
            self._work = (copy.deepcopy(self.G), copy.deepcopy(self.D))
            self._start = (flat(self.G.parameters()), flat(self.D.parameters()))
        G, D = self._work
        for net, vec, start in ((G, g_params, self._start[0]), (D, d_params, self._start[1])):
            torch.nn.utils.vector_to_parameters((start if vec is None else vec).clone(), net.parameters())
        return G, D

    def _grad(self, loss, params):
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        return torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1) for p, g in zip(params, grads)])

    def d_term(self, which, target, form="right", squashed=False, d_params=None, g_params=None):
        """Gradient w.r.t. D's parameters of BCE(D(batch), target), the fake batch detached."""
        G, D = self._nets(d_params, g_params)
        with torch.no_grad():
            x = self.real if which == "real" else G(self.z)
        if squashed:
            x = torch.sigmoid(x)
        return self._grad(self.bce(D(x), target, form), list(D.parameters()))

    def g_term(self, target, form="right", squashed=False, d_params=None, wrt="G", g_params=None):
        """Gradient w.r.t. G's (or D's) parameters of BCE(D(G(z)), target)."""
        G, D = self._nets(d_params, g_params)
        x = G(self.z)
        if squashed:
            x = torch.sigmoid(x)
        net = G if wrt == "G" else D
        return self._grad(self.bce(D(x), target, form), list(net.parameters()))

    def d_loss_value(self, scale=1.0):
        G, D = self._nets()
        with torch.no_grad():
            return scale * float(self.bce(D(self.real), 1) + self.bce(D(G(self.z)), 0))

    def g_loss_value(self, d_params=None, g_params=None):
        G, D = self._nets(d_params, g_params)
        with torch.no_grad():
            return float(self.bce(D(G(self.z)), 1))

    def verdicts(self, d_params, g_params=None):
        """Mean D output (as a probability) on the real batch and on G's batch."""
        G, D = self._nets(d_params, g_params)
        with torch.no_grad():
            r, f = D(self.real), D(G(self.z))
            if self.logits:
                r, f = torch.sigmoid(r), torch.sigmoid(f)
        return float(r.mean()), float(f.mean())


# --------------------------------------------------------------------------- explaining a gradient

@dataclasses.dataclass
class Explanation:
    """The terms (with coefficients) whose sum is the gradient a step used; ``scale`` multiplies
    all terms but the left-over gradients; ``error`` is the relative misfit."""
    terms: tuple
    scale: float
    error: float

    def get(self, name):
        return next((t for t in self.terms if t.name == name), None)

    def coef(self, name):
        t = self.get(name)
        return 0.0 if t is None else t.coef


def explain(used, options, stale=None, scales=(1.0, 0.5), tol=TOL, optional=()):
    """The simplest sum of ``options`` that equals ``used`` (within ``tol``), or None.

    ``options``: {term name: [(Term, gradient of the term with coefficient 1)]}; each term is
    absent or one of its options (the gradient times the Term's coefficient). ``stale``: the
    gradient left over from before (its coefficient is 0 or 1). Among the sums that fit, the one
    with the fewest departures from the first option of every term wins (for the ``optional``
    terms, from their absence). Every sum is tried at once: with the Gram matrix of the distinct
    gradients, the misfit of each sum is a few small matrix products.
    """
    names = list(options)
    basis, where, columns = [], {}, []
    for name in names:
        first = options[name][0][0] if options[name] else None
        column = [(None, -1, 0.0, 0 if name in optional else 1, False)]
        for term, vec in options[name]:
            if id(vec) not in where:
                where[id(vec)] = len(basis)
                basis.append(vec)
            column.append((term, where[id(vec)], term.coef, 1 if name in optional else int(term != first), True))
        columns.append(column)
    if stale is not None and not is_zero(stale):
        basis.append(stale)
        columns.append([(None, -1, 0.0, 0, False), (Term("stale"), len(basis) - 1, 1.0, 1, False)])
    B = torch.stack(basis).double()
    target = used.double()
    gram, bt, tt = B @ B.T, B @ target, float(target @ target)
    grids = torch.stack(torch.meshgrid(*[torch.arange(len(c)) for c in columns], torch.arange(len(scales)),
                                       indexing="ij"), dim=-1).reshape(-1, len(columns) + 1)
    m = grids.shape[0]
    scale_of = torch.tensor(scales, dtype=torch.float64)[grids[:, -1]]
    C = torch.zeros(m, len(basis), dtype=torch.float64)
    departures = (grids[:, -1] != 0).double() * 0.1
    rows = torch.arange(m)
    for j, column in enumerate(columns):
        pick = grids[:, j]
        idx = torch.tensor([c[1] for c in column])[pick]
        coef = torch.tensor([c[2] for c in column], dtype=torch.float64)[pick]
        scaled = torch.tensor([c[4] for c in column])[pick]
        departures += torch.tensor([c[3] for c in column], dtype=torch.float64)[pick]
        on = idx >= 0
        C[rows[on], idx[on]] += torch.where(scaled, coef * scale_of, coef)[on]
    fit_sq = ((C @ gram) * C).sum(1).clamp_min(0)
    miss_sq = (fit_sq - 2 * (C @ bt) + tt).clamp_min(0)
    fit_norm = fit_sq.sqrt()
    err = miss_sq.sqrt() / fit_norm.clamp_min(1e-12)
    err = torch.where(fit_norm < 1e-12, torch.tensor(0.0 if tt ** 0.5 < 1e-12 else 1.0, dtype=torch.float64), err)
    good = torch.nonzero(err <= tol).reshape(-1)
    if len(good) == 0:
        return None
    best = int(good[torch.argmin(departures[good] * 1e6 + err[good])])
    terms = [columns[j][int(grids[best, j])][0] for j in range(len(columns))]
    return Explanation(tuple(t for t in terms if t is not None), float(scales[int(grids[best, -1])]),
                       float(err[best]))


def _forms(probe):
    # with probabilities, swapped arguments give log 0 and a gradient that is not finite (caught before)
    return ("right", "double", "swapped") if probe.logits else ("right", "double")


def d_options(probe, n=None, d_params=None, g_params=None, fake_squash=True, real_squash=False):
    """The ways each term of D's loss can be written: {"real": [...], "fake": [...]}."""
    n = probe.n if n is None else n
    coefs = (1.0, -1.0, float(n), -float(n))
    out = {}
    for which, right in (("real", 1), ("fake", 0)):
        column = []
        for form in _forms(probe):
            for squashed in ((False, True) if (fake_squash if which == "fake" else real_squash) else (False,)):
                for target in (right, 1 - right):
                    vec = probe.d_term(which, target, form, squashed, d_params, g_params)
                    if is_zero(vec):
                        continue
                    for c in coefs:
                        column.append((Term(which, target, form, squashed, c), vec))
        out[which] = column
    # put the right one first (explain counts departures from it)
    for which in out:
        out[which].sort(key=lambda tv: (tv[0].coef != 1.0, tv[0].form != "right", tv[0].squashed,
                                        tv[0].target != (1 if which == "real" else 0)))
    return out


def g_options(probe, n=None, d_params=None, g_params=None):
    """The ways G's loss can be written: {"g": [...]} (target 1 is right; −BCE(·, 0) is minimax)."""
    n = probe.n if n is None else n
    column = []
    for target in (1, 0):
        for form in _forms(probe):
            for squashed in (False, True):
                vec = probe.g_term(target, form, squashed, d_params, g_params=g_params)
                if is_zero(vec):
                    continue
                for c in (1.0, -1.0, float(n), -float(n)):
                    column.append((Term("g", target, form, squashed, c), vec))
    column.sort(key=lambda tv: (tv[0].coef != 1.0, tv[0].target != 1, tv[0].form != "right", tv[0].squashed))
    return {"g": column}


# --------------------------------------------------------------------------- outputs across the input range

#: D's logits from "sure it is fake" to "sure it is real": the far ends are where a loss written as
#: log(sigmoid) overflows or saturates.
LOGIT_RANGE = (-200.0, -100.0, -50.0, -30.0, -20.0, -15.0, -10.0, -5.0, -2.0, -0.5, 0.0, 0.5, 2.0, 5.0, 10.0, 15.0,
               20.0, 30.0, 50.0, 100.0, 200.0)


@dataclasses.dataclass
class Difference:
    """The first input where the student's function and the reference part: ``kind`` is "shape",
    "dtype", "finite" (a NaN or inf where the reference has a number), "value" or "gradient";
    ``got``/``want`` the values there, ``got_grad``/``want_grad`` the gradients (None if none)."""
    kind: str
    at: float
    got: object
    want: object
    got_grad: float = None
    want_grad: float = None


def sweep(fn, reference, args, vary=0, grid=LOGIT_RANGE, rtol=1e-3, atol=1e-7):
    """Run ``fn`` and ``reference`` on ``args`` with the first row of ``args[vary]`` set, in turn, to
    each value of ``grid``; compare shapes, dtypes, values and the gradient with respect to that entry.

    ``fn`` and ``reference`` take tensors and return a scalar tensor (a loss). Returns the first
    ``Difference`` (inputs in grid order) or None. The student's exceptions propagate.
    """
    for x in grid:
        outs = []
        for f in (fn, reference):
            xs = [a.detach().clone() for a in args]
            xs[vary][0] = x
            xs[vary].requires_grad_(True)
            outs.append((f(*xs), xs[vary]))
        (got, xg), (want, xw) = outs
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            return Difference("shape", x, getattr(got, "shape", type(got).__name__), want.shape)
        if got.dtype != want.dtype:
            return Difference("dtype", x, got.dtype, want.dtype)
        value, right = float(got.detach().reshape(-1)[0]), float(want.detach().reshape(-1)[0])
        want.reshape(-1)[0].backward()
        w = float(xw.grad.reshape(-1)[0])
        g = None
        if got.requires_grad:
            got.reshape(-1)[0].backward()
            g = 0.0 if xg.grad is None else float(xg.grad.reshape(-1)[0])
        if math.isfinite(right) and not math.isfinite(value):
            return Difference("finite", x, value, right, g, w)
        if not abs(value - right) <= 1e-5 + rtol * abs(right):
            return Difference("value", x, value, right, g, w)
        if g is None or not abs(g - w) <= atol + rtol * abs(w):
            return Difference("gradient", x, value, right, g, w)
    return None
