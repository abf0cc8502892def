"""The mistakes a training step can make, diagnosed from what the step did (an ``engine.Trace``),
in words the three step exercises share (notebooks 05, 09 and 10).

Each ``d_update`` / ``g_update`` call reads one network's update from the trace and either
returns (the update is right) or raises ``Fail(problem, hint)`` naming the first difference from
the reference, in the order a student would fix them: the network that moved, the order of
zero_grad / backward / step, then the loss itself (a missing term, labels, a sign slip, a sum over
the batch, a sigmoid too many, gradients left over from before).
"""
import dataclasses

import torch

from .core import Fail, expect
from .engine import Explanation, Term, d_options, explain, g_options, is_zero


@dataclasses.dataclass(frozen=True)
class Words:
    """How one exercise names things in its messages."""
    fn: str = "d_step"                                    # the student's function, as the message names it
    d_loss: str = "BCE(D(real), 1) + BCE(D(fake), 0)"    # D's loss, as the lesson writes it
    g_loss: str = "BCE(D(G(z)), 1)"                       # G's loss
    samples: str = "samples"                              # what G makes
    double_hint: str = ("Use F.binary_cross_entropy on D's output (D already returns probabilities): no "
                        "torch.sigmoid, no binary_cross_entropy_with_logits.")
    real_term: str = "BCE(D(real), 1)"
    fake_term: str = "BCE(D(fake), 0)"
    use_loss: str = ""                                    # "use your d_loss from step 3" where there is one


# --------------------------------------------------------------------------- crashes

def crash(error, words, opt="d_opt"):
    """A ``Fail`` naming what the step's exception means."""
    text = f"{type(error).__name__}: {error}"
    if "modified by an inplace operation" in text:
        return Fail(f"backward() failed because the weights changed after the loss was computed: `{opt}.step()` "
                    f"ran before `loss.backward()` (the backward of a loss computed through those weights).",
                    f"The order is: `{opt}.zero_grad()`, compute the loss, `loss.backward()`, `{opt}.step()`; a "
                    "later loss is computed after the step.")
    if "does not require grad" in text:
        return Fail(f"{words.fn}'s loss is cut off from autograd, so backward() has nothing to do: D's output was "
                    "detached (or the loss made under torch.no_grad(), or rebuilt from numbers with .item()).",
                    "Detach only the fake batch going into D (`G(z).detach()`), never D's output or the loss.")
    if "between 0 and 1" in text:
        return Fail("the binary cross-entropy for probabilities (nn.BCELoss, F.binary_cross_entropy) was given "
                    "numbers outside [0, 1]: D's logits, or the targets and D's output in swapped places.",
                    "D returns logits here: use F.binary_cross_entropy_with_logits(D's output, targets), output "
                    "first, targets second." if "logits" in words.double_hint else
                    "Call F.binary_cross_entropy(D's output, targets): output first, targets second.")
    if "backward through the graph a second time" in text:
        return Fail("backward() went through G's graph a second time: D's loss was backpropagated into G (the "
                    "fake batch was not detached), which used up G's graph before G's own loss needed it.",
                    "Give D `fake.detach()` in its step; use `fake` itself (not detached) only for G's loss.")
    if "derivative for" in text and "target" in text:
        return Fail("the targets and D's output are in swapped places in the binary cross-entropy: the first "
                    "argument is D's output, the second the targets (ones or zeros).",
                    "Write F.binary_cross_entropy…(D(x), torch.ones_like(D(x))), output first.")
    if isinstance(error, NameError) and getattr(error, "name", None):
        return Fail(f"{words.fn} uses `{error.name}` before any line gives it a value ({type(error).__name__}): the "
                    f"line that defines `{error.name}` is missing, or comes after its first use.",
                    f"Define `{error.name}` (e.g. `{error.name} = …`) above the line that first uses it.")
    return Fail(f"calling {words.fn} raised {text}",
                "Read the error above; try the step on the networks of the notebook in a cell of its own.")


def frozen(trace, name, words):
    params = trace.nets[name].named_parameters()
    stuck = [n for n, p in params if not p.requires_grad]
    expect(not stuck, f"after {words.fn}, {name}'s parameters are left frozen (requires_grad=False).",
           f"If you freeze {name} during the step, set `requires_grad_(True)` again before returning, or the "
           "next step cannot train it.")


# --------------------------------------------------------------------------- the order of the calls

def _order(trace, net, opt, words, phase, start=0, values=(), both=False):
    """The step index of ``opt`` for ``net``'s update, or a Fail about the order of the calls.

    ``values``: the values the right loss of this phase may have (to recognise its backward);
    ``both``: the step trains both networks, so the other optimizer's step is expected too.
    """
    other = "g_opt" if opt == "d_opt" else "d_opt"
    steps = [i for i in trace.of("step", opt) if i >= start]
    backs = [i for i in trace.of("backward") if i >= start]

    def is_this_loss(b):
        v = trace.events[b].value
        return v is not None and any(abs(v - w) <= 1e-3 * (1 + abs(w)) for w in values)

    if not steps:
        if trace.of("step", other) and not trace.moved(net) and not both:
            raise Fail(f"{net}'s parameters did not change: {phase} called `{other}.step()` (the other network's "
                       f"optimizer) and never `{opt}.step()`, so {net} was not stepped.",
                       f"Call `{opt}.step()`, the optimizer of {net}.")
        if not any(not is_zero(trace.events[b].added[net]) for b in backs):
            raise Fail(f"{net}'s parameters did not change: in {phase} no loss was backpropagated into {net} and "
                       f"`{opt}.step()` never ran, so {net} was not stepped.",
                       f"Compute {net}'s loss, then `loss.backward()` and `{opt}.step()`.")
        raise Fail(f"{net} did not change, yet its gradients hold this step's loss: `{opt}.step()` did not run "
                   "after `loss.backward()` (it is missing).",
                   f"The order is: `{opt}.zero_grad()`, the loss, `loss.backward()`, `{opt}.step()`.")
    if len(steps) > 1 and not both:
        raise Fail(f"`{opt}.step()` ran {len(steps)} times in {phase}: {net} took one update on part of its loss "
                   "(the real batch's term, say) and then another on the rest, so the second is computed on a "
                   f"{net} the first has already moved, and each batch's term counts as a whole step.",
                   f"Add the terms into one loss, then one `loss.backward()` and one `{opt}.step()`.")
    i = steps[0]
    before = [b for b in backs if b < i and not is_zero(trace.events[b].added[net])]
    after = [b for b in backs if b > i and not is_zero(trace.events[b].added[net])]
    if not before:
        if any(is_this_loss(b) for b in after) or (after and not both):
            raise Fail(f"`{opt}.step()` ran before `loss.backward()`: the step used the gradients that were there "
                       f"before (none, or old ones), and the new ones came too late, so {net} did not take this "
                       "step's update.",
                       f"The order is: `{opt}.zero_grad()`, the loss, `loss.backward()`, `{opt}.step()`.")
        if any(is_this_loss(b) for b in backs if b < i):
            raise Fail(f"{net} received no gradient from the loss: {net}'s output was detached (or computed under "
                       "torch.no_grad()) before the loss, so backward() could not reach its weights.",
                       "Detach only what must not be trained: in D's step the fake batch `G(z).detach()`; in G's "
                       "step nothing.")
        raise Fail(f"the `backward()` of {net}'s loss never ran before `{opt}.step()` in {phase}: the step used "
                   "whatever gradients were left in .grad, not this step's.",
                   f"After computing the loss: `loss.backward()`, then `{opt}.step()`.")
    used = trace.events[i].grads[net]
    if not bool(torch.isfinite(used).all()):
        raise Fail(f"{net}'s gradients are not finite (inf or NaN) when `{opt}.step()` runs, so the step would "
                   f"ruin {net}'s weights: most likely the binary cross-entropy got its arguments in swapped places "
                   "(targets first: their gradient has log 0 in it), or a log of 0.",
                   "Call the loss as F.binary_cross_entropy…(D's output, targets): D's output first.")
    if is_zero(used):
        wiped = [k for k in trace.of("zero_grad") if before[-1] < k < i]
        who = trace.events[wiped[0]].who if wiped else opt
        raise Fail(f"`{who}.zero_grad()` ran between `loss.backward()` and `{opt}.step()`: it wiped the gradients "
                   f"backward() had just computed, so the step had nothing to apply and {net} did not change.",
                   f"Zero the gradients at the start of the step, before the loss and `backward()`: "
                   f"`{opt}.zero_grad()`, loss, `loss.backward()`, `{opt}.step()`.")
    return i


# --------------------------------------------------------------------------- the loss itself

def _term_words(term, words):
    return {"real": ("the real batch's term", words.real_term, "the real batch", 1),
            "fake": ("the fake batch's term", words.fake_term, "the generated batch", 0),
            "g": ("G's loss", words.g_loss, f"G's {words.samples}", 1)}[term]


def departures(exp, names, probe, words, backward_values=(), full_value=None):
    """The Fails for an explanation's departures from the right loss, first difference first."""
    found = []
    terms = {n: exp.get(n) for n in names}
    # a term that is missing
    for n in names:
        if terms[n] is None:
            what, written, batch, _ = _term_words(n, words)
            there = full_value is not None and any(v is not None and abs(v - full_value) <= 1e-3 * (1 + abs(full_value))
                                                   for v in backward_values)
            if there:
                found.append((f"{written} is in the loss (its value counts), but it sends no gradient to D: the "
                              f"output D(…) of {batch} was detached, so D does not learn from that term.",
                              "Detach the fake batch before D, `D(G(z).detach())`, never D's output."))
            else:
                other = [m for m in names if m != n]
                found.append((f"only {' and '.join(_term_words(m, words)[2] for m in other)} is in D's loss: "
                              f"{what}, {written}, is missing (or sends no gradient: D's output goes first in the "
                              "loss, the targets second)." if other else
                              f"the loss sends no gradient: {written} is missing.",
                              f"Add {written} to the loss{words.use_loss}."))
    present = [n for n in names if terms[n] is not None]
    # labels
    wrong_target = [n for n in present if terms[n].target != _term_words(n, words)[3]]
    if wrong_target:
        if set(wrong_target) == {"real", "fake"}:
            found.append(("D's labels are swapped: it was trained to call the real batch fake (0) and the generated "
                          "batch real (1).",
                          "Real samples get the target 1 (torch.ones_like), generated ones the target 0 "
                          f"(torch.zeros_like){words.use_loss}."))
        elif wrong_target == ["real"]:
            found.append(("both batches are scored against 0: the real batch's target must be 1.",
                          f"Use torch.ones_like(…) as the target of D(real){words.use_loss}."))
        elif wrong_target == ["fake"]:
            found.append(("both batches are scored against 1: the generated batch's target must be 0.",
                          f"Use torch.zeros_like(…) as the target of D(fake){words.use_loss}."))
        else:
            c = terms["g"].coef
            if c < 0:
                found.append((f"this is the saturating (minimax) loss log(1 − D(G(z))): it moves G the right way, "
                              f"but its gradient fades when D confidently rejects the fakes ({_belief(probe)}, "
                              f"and the step is {_weaker(probe):.0f} times smaller than the non-saturating one).",
                              f"Use the non-saturating loss: {words.g_loss}, 'pretend to be real' (target 1)."))
            else:
                found.append((f"G was trained towards the label 'fake' (0): its {words.samples} now look MORE fake "
                              "to D.",
                              f"G's target is 1 ('real'): {words.g_loss}, torch.ones_like(…)."))
    # signs
    negative = [n for n in present if terms[n].coef < 0 and not (n == "g" and terms[n].target == 0)]
    if negative:
        if len(negative) == len(names) and len(names) > 1:
            found.append(("D's loss has the wrong sign: the step went uphill, making D worse at telling real from "
                          "fake.", f"Minimise {words.d_loss} itself, no minus sign."))
        elif negative == ["g"]:
            found.append((f"G's loss has the wrong sign: G went uphill and its {words.samples} now look more fake "
                          "to D.", f"Minimise {words.g_loss} itself, with no minus sign."))
        else:
            what, written, _, _ = _term_words(negative[0], words)
            found.append((f"a sign slip in one term: {what}, {written}, is subtracted instead of added, so D is "
                          f"trained to do worse on {_term_words(negative[0], words)[2]}.",
                          f"Add the two terms: {words.d_loss}."))
    # sums over the batch
    summed = [n for n in present if abs(abs(terms[n].coef) - probe.n) < 1e-9]
    if summed:
        which = "both terms sum" if len(summed) == 2 else f"{_term_words(summed[0], words)[1]} sums"
        found.append((f"{which} over the batch instead of averaging: the loss and the step it gives are {probe.n} "
                      "times (the batch size) too large, and they grow with the batch.",
                      "Average over the batch: the default reduction ('mean'), no reduction='sum', .mean() not "
                      ".sum()."))
    # a sigmoid too many, in the loss or on the input
    swapped = [n for n in present if terms[n].form == "swapped"]
    if swapped:
        written = _term_words(swapped[0], words)[1]
        found.append((f"the targets and D's output are in swapped places in {written}: the loss reads the targets as "
                      "D's logits and D's output as the targets, so it pushes D's output up (or down) without limit.",
                      "The first argument of the loss is D's output, the second the targets: "
                      "F.binary_cross_entropy_with_logits(D(x), torch.ones_like(…))."))
    doubled = [n for n in present if terms[n].form == "double"]
    if doubled:
        found.append(("the loss applies a second sigmoid: "
                      + ("D already returns probabilities, and BCE with logits (or torch.sigmoid) applies one more."
                         if not probe.logits else
                         "binary_cross_entropy_with_logits applies the sigmoid itself, and D's output went through "
                         "torch.sigmoid first."),
                      words.double_hint))
    squashed = [n for n in present if terms[n].squashed]
    if squashed:
        found.append((f"G's {words.samples} went through a sigmoid before reaching D: D judges squashed "
                      f"{words.samples} in (0, 1), not what G makes.",
                      "Give D G(z) as it is (no torch.sigmoid around it)."))
    return found


def _weaker(probe):
    return float(probe.g_term(1).norm() / probe.g_term(0).norm())


def _belief(probe):
    _, fake = probe.verdicts(None)
    return f"here D(G(z)) ≈ {fake:.1f}"


def explained(trace, net, i, options, probe, words, *, extra=None):
    """The explanation of the gradient step ``i`` used for ``net``; a Fail for its first departure."""
    used = trace.events[i].grads[net]
    stale = trace.start_grads[net]
    if extra:
        options = dict(options, **extra)
    exp = explain(used, options, stale=stale, optional=tuple(extra or ()))
    if exp is None:
        return None
    backward_values = [trace.events[b].value for b in trace.of("backward") if b < i]
    names = [n for n in options if n not in (extra or {})]
    full = probe.d_loss_value() if net == "D" else probe.g_loss_value()
    found = departures(exp, names, probe, words, backward_values, full)
    if found:
        raise Fail(*found[0])
    return exp


def not_zeroed(trace, net, opt, i, words, phase):
    """The Fail for gradients left over from before, with what the trace shows about zero_grad."""
    zeros = trace.of("zero_grad")
    mine = [k for k in zeros if trace.events[k].who == opt]
    if mine and all(k > i for k in mine):
        where = f"`{opt}.zero_grad()` runs only after `{opt}.step()`, so the step used gradients left over from before"
    elif not mine and zeros and not trace.of("step", "g_opt" if opt == "d_opt" else "d_opt"):
        other = trace.events[zeros[0]].who
        where = (f"{phase} zeroes `{other}` ({'G' if other == 'g_opt' else 'D'}'s gradients) but not `{opt}`, so "
                 f"{net}'s update includes gradients left over from before")
    else:
        where = (f"{net}'s gradients were not zeroed before backward(): its update includes gradients left over "
                 "from before")
    return Fail(f"{where} ({net}'s gradients add up in .grad until zeroed).",
                f"Call `{opt}.zero_grad()` at the start of {phase}, before `loss.backward()`.")


def state_at(trace, net, i):
    """The weights {"G": …, "D": …} when the last backward before event ``i`` that reached ``net`` ran (the
    weights its loss was computed with)."""
    backs = [b for b in trace.of("backward") if b < i and not is_zero(trace.events[b].added[net])]
    return trace.events[backs[-1]].params


def d_update(trace, probe, words, *, phase="the discriminator step", start=0, extra=None, both=False):
    """Check D's update in ``trace``; return its ``Explanation`` (``scale`` ½ for the mean of the two terms),
    or raise a Fail. ``extra``: more terms that may be in the update, absent in the right one
    ({name: (Term, gradient) list}, given a state {"G": …, "D": …} by a function)."""
    i = _order(trace, "D", "d_opt", words, phase, start, values=(probe.d_loss_value(), probe.d_loss_value(0.5)),
               both=both)
    state = state_at(trace, "D", i)
    options = d_options(probe, d_params=state["D"], g_params=state["G"])
    exp = explained(trace, "D", i, options, probe, words, extra=extra(state) if extra else None)
    if exp is None:
        factor = effect_d(trace, probe, words, i, options)
        exp = Explanation((Term("real", 1, "right", False, 1.0), Term("fake", 0, "right", False, 1.0)), factor, 0.0)
    if exp.get("stale") is not None:
        raise not_zeroed(trace, "D", "d_opt", i, words, phase)
    return exp


def g_update(trace, probe, words, *, phase="the generator step", start=0, extra=None, both=False):
    """Check G's update in ``trace``; return its ``Explanation``, or raise a Fail."""
    steps = trace.of("step", "g_opt")
    at = trace.events[steps[0]].params if steps else trace.after
    i = _order(trace, "G", "g_opt", words, phase, start, values=(probe.g_loss_value(at["D"], at["G"]),), both=both)
    state = state_at(trace, "G", i)
    options = g_options(probe, d_params=state["D"], g_params=state["G"])
    exp = explained(trace, "G", i, options, probe, words, extra=extra(state) if extra else None)
    if exp is None:
        effect_g(trace, probe, words, i, options)
    if exp.get("stale") is not None:
        raise not_zeroed(trace, "G", "g_opt", i, words, phase)
    return exp


# --------------------------------------------------------------------------- when no explanation fits

def shares(used, vectors):
    """Least-squares coefficients of ``used`` on ``vectors`` and the relative residual."""
    A = torch.stack(vectors, dim=1).double()
    coef = torch.linalg.lstsq(A, used.double().unsqueeze(1)).solution.squeeze(1)
    residual = float((A @ coef - used.double()).norm() / max(float(used.norm()), 1e-12))
    return [float(c) for c in coef], residual


def _plain(options, name, target):
    return next(vec for term, vec in options[name] if term.coef == 1.0 and term.form == "right"
                and not term.squashed and term.target == target)


def _targets(used, options, words):
    """Fail naming the targets when D's update is the right loss with other targets (the BCE is linear in its
    target, so each term's gradient for a target t is (1 − t)·(its gradient for 0) + t·(its gradient for 1))."""
    vectors = [_plain(options, "real", 1), _plain(options, "real", 0), _plain(options, "fake", 0),
               _plain(options, "fake", 1)]
    (r1, r0, f0, f1), residual = shares(used, vectors)
    a_real, a_fake = r1 + r0, f0 + f1
    if residual > 1e-3 or min(abs(a_real), abs(a_fake)) < 1e-6:
        return
    t_real, t_fake = r1 / a_real + 0.0, f1 / a_fake + 0.0
    t_real, t_fake = round(t_real, 2) + 0.0, round(t_fake, 2) + 0.0      # no "-0.00"
    if abs(a_real - a_fake) > 1e-2 * abs(a_fake) or (abs(t_real - 1) < 1e-3 and abs(t_fake) < 1e-3):
        return
    raise Fail(f"D's targets are {t_real:.2f} for the real batch and {t_fake:.2f} for the generated one, not 1 and "
               "0" + (" (smoothed labels)" if 0.5 < t_real < 1 or 0 < t_fake < 0.5 else "") + ".",
               f"This exercise uses the plain targets: {words.real_term} and {words.fake_term}.")


def effect_d(trace, probe, words, i, options):
    """Name the term that pushes the wrong way, from each term's share of D's update (no exact fit)."""
    g_real, g_fake = options["real"][0][1], options["fake"][0][1]
    used = trace.events[i].grads["D"]
    _targets(used, options, words)
    (a, b), residual = shares(used, [g_real, g_fake])
    if residual < 0.5:
        if a < 0 and b < 0:
            raise Fail(f"D moved the wrong way on both batches: your update pushes against both terms of "
                       f"{words.d_loss} (shares {a:.2f} and {b:.2f} of them, where one step has 1 and 1).",
                       f"Minimise {words.d_loss}: real → 1, fake → 0, no minus sign.")
        if a < 0.1 * abs(b):
            raise Fail(f"the real batch's term pushes the wrong way (or not at all): your update has {a:.2f} of "
                       f"{words.real_term}'s gradient and {b:.2f} of the fake term's, where one step has 1 and 1.",
                       f"The real term is {words.real_term}: target 1, D's output first, added to the loss.")
        if b < 0.1 * abs(a):
            raise Fail(f"the fake batch's term pushes the wrong way (or not at all): your update has {b:.2f} of "
                       f"{words.fake_term}'s gradient and {a:.2f} of the real term's, where one step has 1 and 1.",
                       f"The fake term is {words.fake_term}: target 0, D's output first, added to the loss.")
        if residual < 1e-3 and abs(a / b - 1) < 1e-2 and a > 0:
            return a                       # an overall factor: accepted (scaled_note says so)
        if residual < 1e-3:
            raise Fail(f"the two terms are weighted unequally: your update has {a:.2f} of the real term's gradient "
                       f"and {b:.2f} of the fake term's, where one step has the same of each.",
                       f"Add the two terms with equal weight: {words.d_loss}.")
    _inputs_used(trace, probe, words)
    raise Fail(f"D's update is not the gradient of {words.d_loss} for the batch and noise you were given: the loss "
               "uses other inputs (new noise, another batch) or another formula.",
               "Use the arguments real and z as they are (draw nothing new) and the binary cross-entropy.")


def _inputs_used(trace, probe, words, real=True):
    """Fail if G never saw the noise ``z`` it was given, or D never saw the real batch."""
    expect(not trace.inputs["G"] or trace.saw("G", probe.z),
           f"G made its {words.samples} from noise other than the `z` {words.fn} was given (new noise drawn inside "
           "the step?), so the step is not the one for this batch.",
           "Use the argument z as it is: `G(z)`; the loop draws the noise and passes it in.")
    expect(not real or trace.saw("D", probe.real),
           f"D never saw the real batch {words.fn} was given (`real`): the real term was computed on something else "
           "(a changed or new batch).",
           "Give D the argument `real` as it is: `D(real)`.")


def effect_g(trace, probe, words, i, options):
    """Say how G's update relates to G's loss (no exact fit)."""
    right = options["g"][0][1]
    used = trace.events[i].grads["G"]
    (a,), residual = shares(used, [right])
    if residual < 0.5 and a < 0:
        raise Fail(f"G moved the wrong way: your update pushes against {words.g_loss} (a share of {a:.2f} of its "
                   "gradient, where one step has 1), so D finds G's " f"{words.samples} less real after it.",
                   f"Minimise {words.g_loss}: target 1, no minus sign.")
    if residual < 1e-3:
        raise Fail(f"G's step goes the right way but is {a:.3g} times one step on {words.g_loss}: the loss is "
                   "scaled.", "Leave the loss as the mean binary cross-entropy, with no factor.")
    _inputs_used(trace, probe, words, real=False)
    raise Fail(f"G's update is not the gradient of {words.g_loss} for the noise you were given: the loss uses other noise or another formula.",
               "Use the argument z as it is (draw no new noise) and the binary cross-entropy against 1.")


# --------------------------------------------------------------------------- the value returned

def loss_value(out):
    """(the returned loss as a float, how it was returned), or (None, what it is)."""
    if isinstance(out, torch.Tensor):
        if out.numel() != 1 or not out.is_floating_point():
            return None, f"a tensor of shape {tuple(out.shape)}"
        kind = "a tensor that still carries its graph" if out.requires_grad else "a tensor"
        return float(out.detach().reshape(())), kind
    if isinstance(out, (float, int)) and not isinstance(out, bool):
        return float(out), "a float"
    return None, type(out).__name__


def returned(out, reference, name, scales=(1.0, 0.5)):
    """Check a returned loss against the loss before the update; the words for the ✓ message."""
    expect(out is not None, f"{name} returns nothing (None).",
           "End it with `return loss.item()`, the loss of this step.")
    value, kind = loss_value(out)
    expect(value is not None, f"{name} should return the loss (one number); it returns {kind}.",
           "Return the scalar loss of this step: `return loss.item()`.")
    near = lambda a, b: abs(a - b) <= 1e-3 * abs(b) + 1e-5    # noqa: E731
    if any(near(-value, c * reference) for c in scales) and not any(near(value, c * reference) for c in scales):
        raise Fail(f"{name} returns minus the loss of this step.", "Return the loss itself: `return loss.item()`.")
    expect(any(near(value, c * reference) for c in scales),
           f"{name} returns a number that is not the loss of this step (the loss before the update).",
           "Return the loss you called .backward() on, computed on the given batch.")
    return how_returned([kind])


#: What the ✓ message adds when a step returns its loss as a tensor: accepted, with what .item() would change.
TENSOR_NOTES = {"a tensor that still carries its graph": "fine; `.item()` gives a plain float and frees the graph",
                "a tensor": "fine; `.item()` gives a plain float"}


def how_returned(kinds, names=("the loss",)):
    """The ✓ message's words for how a step returned its loss(es), one kind (from ``loss_value``) per name:
    a float is said plainly, a tensor is accepted with a note (the same words in notebooks 05, 09 and 10)."""
    plural = {"a float": "floats", "a tensor": "tensors",
              "a tensor that still carries its graph": "tensors that still carry their graphs"}
    if len(set(kinds)) == 1:
        kind = kinds[0]
        what = names[0] if len(names) == 1 else ("both losses" if len(names) == 2 else "the losses")
        shown = kind if len(names) == 1 else plural.get(kind, kind)
        note = f" ({TENSOR_NOTES[kind]})" if kind in TENSOR_NOTES else ""
        return f"returns {what} as {shown}{note}"
    parts = ", ".join(f"{n} as {k}" for n, k in zip(names, kinds))
    notes = sorted({TENSOR_NOTES[k] for k in kinds if k in TENSOR_NOTES})
    return f"returns {parts}" + (f" ({'; '.join(notes)})" if notes else "")


# --------------------------------------------------------------------------- D's loss: one rule for its scale

# D's loss is the mean over the real batch plus the mean over the fake batch. An overall constant factor (the
# half that one mean over both batches joined gives when they have the same size) is accepted, with a note; a
# mean over the joined batch is wrong once the batches differ in size, and is told so. Notebooks 04, 05, 09 and
# 10 use these words.

def scaled_note(c, formula):
    """The ✓ message's note for a D loss that is ``c`` times ``formula`` (c ≠ 1, c > 0)."""
    how = (", as one mean over both batches joined gives when they have the same size" if abs(c - 0.5) < 1e-3
           else "")
    return (f"your loss is {c:.3g} × ({formula}){how}: fine, its gradient is scaled by {c:.3g} too, which acts "
            f"like a learning rate {c:.3g} times as large")


def joined_fail(n_real, n_fake, who, formula, got=None, want=None):
    """The Fail for a D loss that averages over the real and fake batches joined together."""
    big, small = ("real", "fake") if n_real > n_fake else ("fake", "real")
    ratio = max(n_real, n_fake) / min(n_real, n_fake)
    values = f" ({got:.4f} where the rule gives {want:.4f})" if got is not None and want is not None else ""
    return Fail(f"with {n_real} real and {n_fake} fake samples, {who} averages over the two batches joined together "
                f"(one mean over torch.cat([real, fake])){values}: each batch then weighs in proportion to its size, "
                f"so the {big} batch counts {ratio:.3g} times as much as the {small} one. D's loss is the mean over "
                "the real batch plus the mean over the fake batch, whatever their sizes (the two are equal only when "
                "the batches are).",
                f"Average each batch on its own and add the two means: {formula}. (With one BCE over torch.cat, "
                "use reduction='none' and take the .mean() of each part.)")


def unequal_d_update(trace, probe, words, phase="the discriminator step"):
    """Check D's update in ``trace``, run on a real batch and a fake batch of different sizes: the two terms
    must keep equal weight. Returns their common weight (the overall factor); a Fail names a mean over the
    joined batch."""
    i = trace.of("step", "d_opt")[0]
    state = state_at(trace, "D", i)
    terms = [probe.d_term("real", 1, d_params=state["D"], g_params=state["G"]),
             probe.d_term("fake", 0, d_params=state["D"], g_params=state["G"])]
    (a, b), residual = shares(trace.events[i].grads["D"], terms)
    n_real, n_fake = probe.real.shape[0], probe.z.shape[0]
    if residual < 1e-3 and abs(a / b - 1) < 1e-2:
        return a
    if residual < 1e-3 and abs(a / b - n_real / n_fake) < 1e-2:
        raise joined_fail(n_real, n_fake, f"D's loss in {phase}", words.d_loss)
    raise Fail(f"{phase} is right when the real and fake batches have the same size, but with {n_real} real and "
               f"{n_fake} fake samples D's update holds {a:.2f} of the real term's gradient and {b:.2f} of the fake "
               "term's, where one step has the same of each: the loss assumes both batches have the same size.",
               f"Build each batch's targets from its own output (torch.ones_like(D(real)), torch.zeros_like(D(fake))) "
               f"and average each batch on its own: {words.d_loss}.")


def unequal_crash(error, words, n_real, n_fake):
    """The Fail for a step that runs with batches of the same size but crashes when they differ."""
    return Fail(f"{words.fn} works when the real and fake batches have the same size, but with {n_real} real and "
                f"{n_fake} fake samples it raises {type(error).__name__}: {error}. It assumes both batches have the "
                "same number of rows (e.g. the targets of both built from the real batch).",
                "Build each batch's targets from its own output: torch.ones_like(D(real)) for the real batch and "
                "torch.zeros_like(D(fake)) for the fake one.")
