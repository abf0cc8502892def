"""Single changes of a reference solution, made with ``ast``: the wrong answers a checker must name.

    from mutants import mutants
    for m in mutants(source, namespace, "d_step"):
        m.label      # what changed, in words: "dropped line 3: d_opt.zero_grad()"
        m.kind       # the family of the change: "drop", "swap-args", "labels", "sign", ...
        m.source     # the whole changed source (the other functions in it unchanged)
        m.fn         # the changed function, compiled in a copy of ``namespace``

``mutants(fn)`` takes a function defined in a file too (its source and globals are read). Each
mutant changes one thing in the function named ``name`` (all of them when ``name`` is None):

    drop          remove one statement (a docstring stays)
    swap-args     swap two neighbouring positional arguments of a call
    labels        ones ↔ zeros (ones_like ↔ zeros_like, torch.ones ↔ torch.zeros), one at a time and all at once
    sign          negate an operand of + or −, or the returned value / an assigned loss
    operator      + ↔ −, * ↔ /
    zero-grad     move a ``….zero_grad()`` statement to another place in its block
    detach        remove one ``.detach()``; add one after a call of a network; move one to another call
    optimizer     ``g_opt`` ↔ ``d_opt`` in one ``.step()`` or ``.zero_grad()`` call
    activation    remove one activation layer or function; add a sigmoid around a network's output;
                  ``binary_cross_entropy`` ↔ ``…_with_logits`` (a sigmoid added or removed inside the loss)
    reduction     ``mean`` → ``sum`` (a method or a loss's reduction)
    dim           ``dim=0`` ↔ ``dim=1`` (or the positional dimension of mean/std/sum/var)
    statistic     ``std`` ↔ ``var``; ``mean`` → ``median``

Mutants whose source is unchanged or does not compile are left out; two with the same source
are kept once. ``judge(exercise)`` runs every mutant of an ``Exercise`` through its checker and
sorts the outcomes; ``python -m tests.mutants --report`` prints the per-exercise table of the
exercises that every ``tests/test_mutants_*.py`` lists in its function ``EXERCISES()``.
"""
import ast
import contextlib
import copy
import dataclasses
import importlib
import inspect
import io
import sys
import textwrap
from pathlib import Path

__all__ = ["Mutant", "mutants", "Exercise", "Outcome", "judge", "GENERIC", "is_generic", "report"]

ACTIVATION_LAYERS = {"ReLU", "LeakyReLU", "Tanh", "Sigmoid", "ELU", "SiLU", "GELU", "Softplus", "Mish", "SELU"}
ACTIVATION_FUNCTIONS = {"relu", "leaky_relu", "tanh", "sigmoid", "elu", "silu", "gelu", "softplus"}
NETWORK_NAMES = {"G", "D", "generator", "discriminator", "netG", "netD"}
OPTIMIZERS = {"g_opt": "d_opt", "d_opt": "g_opt", "opt_g": "opt_d", "opt_d": "opt_g"}
LABELS = {"ones_like": "zeros_like", "zeros_like": "ones_like", "ones": "zeros", "zeros": "ones"}


@dataclasses.dataclass
class Mutant:
    """One single change of a solution: ``label`` says what changed, ``kind`` its family."""
    label: str
    kind: str
    source: str
    name: str = None              # the function the checker is given (None: the source's first function)
    namespace: dict = dataclasses.field(default=None, repr=False)

    @property
    def fn(self):
        """The changed function, compiled in a copy of the namespace (None if the source does not run)."""
        ns = self.run()
        return None if ns is None else ns[self.name]

    def run(self):
        """A copy of the namespace with the changed source executed in it (None if it fails)."""
        ns = dict(self.namespace or {})
        try:
            exec(compile(self.source, f"<mutant: {self.label}>", "exec"), ns)
        except Exception:  # noqa: BLE001  (a mutant that does not even define its function)
            return None
        return ns if self.name in ns else None

    def __repr__(self):
        return f"Mutant({self.kind}: {self.label})"


# --------------------------------------------------------------------------- helpers

def _text(node):
    return ast.unparse(node).replace("\n", " ")


def _dotted(node):
    """``torch.nn.functional.relu`` → "torch.nn.functional.relu"; None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _last(dotted):
    return dotted.rsplit(".", 1)[-1] if dotted else None


def _is_docstring(stmt):
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _blocks(fn_node):
    """Every statement list inside the function (its body, loop and ``with`` bodies, …)."""
    for node in ast.walk(fn_node):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield node, field


def _line(stmt):
    return _text(stmt).split("\n")[0][:70]


class _Edit:
    """Mutate one copy of the module: ``target(tree)`` finds the node again in the copy by its index."""

    def __init__(self, tree, fn_name):
        self.tree, self.fn_name = tree, fn_name

    def copy(self):
        tree = copy.deepcopy(self.tree)
        fn = next(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                  and n.name == self.fn_name)
        return tree, fn


def _nodes(fn, kind):
    """The nodes of ``kind`` in ``fn`` in a fixed order (``ast.walk``), so a copy finds the same one by index."""
    return [n for n in ast.walk(fn) if isinstance(n, kind)]


def _replace(parent_tree, old, new):
    """Put ``new`` where ``old`` is in ``parent_tree``."""
    for node in ast.walk(parent_tree):
        for field, value in ast.iter_fields(node):
            if value is old:
                setattr(node, field, new)
                return True
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return True
    return False


def _network_call(node):
    """A call of a network: G(z), D(x), self.net(x) — a Name or attribute call with one argument."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in NETWORK_NAMES)


def _detach(node):
    return ast.Call(func=ast.Attribute(value=node, attr="detach", ctx=ast.Load()), args=[], keywords=[])


def _is_detach(node):
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "detach"
            and not node.args)


# --------------------------------------------------------------------------- the operators

def _drop(tree, fn_name):
    edit = _Edit(tree, fn_name)
    _, fn = edit.copy()
    for b, (owner, field) in enumerate(_blocks(fn)):
        block = getattr(owner, field)
        for i, stmt in enumerate(block):
            if _is_docstring(stmt) or isinstance(stmt, (ast.FunctionDef, ast.Import, ast.ImportFrom)):
                continue
            t, f = edit.copy()
            o, fl = list(_blocks(f))[b]
            blk = getattr(o, fl)
            del blk[i]
            if not blk:
                blk.append(ast.Pass())
            yield f"dropped line: {_line(stmt)}", "drop", t


def _swap_args(tree, fn_name):
    edit = _Edit(tree, fn_name)
    _, fn = edit.copy()
    for k, call in enumerate(_nodes(fn, ast.Call)):
        for i in range(len(call.args) - 1):
            a, b = call.args[i], call.args[i + 1]
            if _text(a) == _text(b) or isinstance(a, ast.Starred) or isinstance(b, ast.Starred):
                continue
            t, f = edit.copy()
            c = _nodes(f, ast.Call)[k]
            c.args[i], c.args[i + 1] = c.args[i + 1], c.args[i]
            yield f"swapped the arguments {_text(a)} and {_text(b)} of {_text(call.func)}(…)", "swap-args", t


def _labels(tree, fn_name):
    edit = _Edit(tree, fn_name)
    _, fn = edit.copy()
    found = []
    for k, node in enumerate(_nodes(fn, ast.Call)):
        name = _last(_dotted(node.func))
        if name in LABELS:
            found.append((k, name))
    for k, name in found:
        t, f = edit.copy()
        c = _nodes(f, ast.Call)[k]
        c.func.attr = LABELS[name] if isinstance(c.func, ast.Attribute) else c.func.id
        if isinstance(c.func, ast.Name):
            c.func.id = LABELS[name]
        yield f"{name} → {LABELS[name]} in {_text(_nodes(fn, ast.Call)[k])}", "labels", t
    if len(found) > 1:
        t, f = edit.copy()
        calls = _nodes(f, ast.Call)
        for k, name in found:
            if isinstance(calls[k].func, ast.Attribute):
                calls[k].func.attr = LABELS[name]
            else:
                calls[k].func.id = LABELS[name]
        yield "every label swapped (ones ↔ zeros)", "labels", t


def _sign(tree, fn_name):
    edit = _Edit(tree, fn_name)
    _, fn = edit.copy()
    for k, node in enumerate(_nodes(fn, ast.BinOp)):
        if not isinstance(node.op, (ast.Add, ast.Sub)):
            continue
        for side in ("left", "right"):
            operand = getattr(node, side)
            if isinstance(operand, ast.Constant):
                continue
            t, f = edit.copy()
            n = _nodes(f, ast.BinOp)[k]
            setattr(n, side, ast.UnaryOp(op=ast.USub(), operand=getattr(n, side)))
            yield f"sign flipped on {_text(operand)} in {_text(node)}", "sign", t
    # the returned value, and each assigned value whose name says it is a loss
    for k, node in enumerate(_nodes(fn, (ast.Return, ast.Assign))):
        value = node.value
        if value is None:
            continue
        if isinstance(node, ast.Assign):
            names = [_text(tg) for tg in node.targets]
            if not any("loss" in n for n in names):
                continue
        if isinstance(value, ast.Tuple):
            continue
        t, f = edit.copy()
        n = _nodes(f, (ast.Return, ast.Assign))[k]
        n.value = ast.UnaryOp(op=ast.USub(), operand=n.value)
        where = "the returned value" if isinstance(node, ast.Return) else _text(node.targets[0])
        yield f"sign flipped on {where}: −({_text(value)})", "sign", t


def _operators(tree, fn_name):
    swaps = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
    symbols = {ast.Add: "+", ast.Sub: "−", ast.Mult: "*", ast.Div: "/"}
    edit = _Edit(tree, fn_name)
    _, fn = edit.copy()
    for k, node in enumerate(_nodes(fn, ast.BinOp)):
        if type(node.op) not in swaps:
            continue
        t, f = edit.copy()
        n = _nodes(f, ast.BinOp)[k]
        n.op = swaps[type(node.op)]()
        yield (f"{symbols[type(node.op)]} → {symbols[swaps[type(node.op)]]} in {_text(node)}", "operator", t)


def _calls_method(stmt, method):
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == method
               for n in ast.walk(stmt))


def _zero_grad(tree, fn_name):
    edit = _Edit(tree, fn_name)
    _, fn = edit.copy()
    for b, (owner, field) in enumerate(_blocks(fn)):
        block = getattr(owner, field)
        for i, stmt in enumerate(block):
            if not (isinstance(stmt, ast.Expr) and _calls_method(stmt, "zero_grad")):
                continue
            rest = block[:i] + block[i + 1:]
            ends = len(rest) - (1 if rest and isinstance(rest[-1], ast.Return) else 0)
            first = 1 if _is_docstring(rest[0]) else 0
            for at in range(first, ends + 1):
                if at == i:
                    continue                      # its own place
                t, f = edit.copy()
                o, fl = list(_blocks(f))[b]
                blk = getattr(o, fl)
                blk.insert(at, blk.pop(i))
                after = rest[at - 1] if at > 0 else None
                where = f"after `{_line(after)}`" if after is not None else "to the start"
                yield f"moved `{_line(stmt)}` {where}", "zero-grad", t


def _detaches(tree, fn_name):
    edit = _Edit(tree, fn_name)
    _, fn = edit.copy()
    calls = _nodes(fn, ast.Call)
    detached = [k for k, c in enumerate(calls) if _is_detach(c)]
    nets = [k for k, c in enumerate(calls) if _network_call(c)]
    inside = {id(c.func.value) for c in calls if _is_detach(c)}
    for k in detached:
        t, f = edit.copy()
        c = _nodes(f, ast.Call)[k]
        _replace(f, c, c.func.value)
        yield f".detach() removed from {_text(calls[k])}", "detach", t
    for k in nets:
        if id(calls[k]) in inside:
            continue
        t, f = edit.copy()
        c = _nodes(f, ast.Call)[k]
        _replace(f, c, _detach(c))
        yield f".detach() added after {_text(calls[k])}", "detach", t
    for k in detached:                  # move: take it off one place, put it after another network call
        for m in nets:
            if id(calls[m]) in inside:
                continue
            t, f = edit.copy()
            fc = _nodes(f, ast.Call)
            c, target = fc[k], fc[m]
            _replace(f, target, _detach(target))
            _replace(f, c, c.func.value)
            yield f".detach() moved from {_text(calls[k])} to {_text(calls[m])}", "detach", t


def _optimizer(tree, fn_name):
    edit = _Edit(tree, fn_name)
    _, fn = edit.copy()
    for k, c in enumerate(_nodes(fn, ast.Call)):
        if (isinstance(c.func, ast.Attribute) and c.func.attr in ("step", "zero_grad")
                and isinstance(c.func.value, ast.Name) and c.func.value.id in OPTIMIZERS):
            t, f = edit.copy()
            fc = _nodes(f, ast.Call)[k]
            fc.func.value.id = OPTIMIZERS[c.func.value.id]
            yield f"{_text(c)} → {_text(fc)}", "optimizer", t


def _activations(tree, fn_name):
    edit = _Edit(tree, fn_name)
    _, fn = edit.copy()
    calls = _nodes(fn, ast.Call)
    for k, c in enumerate(calls):
        name = _last(_dotted(c.func))
        # an activation layer inside nn.Sequential(...): remove it
        if name == "Sequential":
            for i, arg in enumerate(c.args):
                if isinstance(arg, ast.Call) and _last(_dotted(arg.func)) in ACTIVATION_LAYERS:
                    t, f = edit.copy()
                    del _nodes(f, ast.Call)[k].args[i]
                    yield f"removed the activation {_text(arg)} (layer {i + 1} of the Sequential)", "activation", t
            t, f = edit.copy()
            _nodes(f, ast.Call)[k].args.append(ast.parse("nn.Sigmoid()", mode="eval").body)
            yield "added nn.Sigmoid() at the end of the Sequential", "activation", t
        # an activation function applied to a value: remove it
        elif name in ACTIVATION_FUNCTIONS and len(c.args) >= 1:
            t, f = edit.copy()
            fc = _nodes(f, ast.Call)[k]
            _replace(f, fc, fc.args[0])
            yield f"removed {name}: {_text(c)} → {_text(c.args[0])}", "activation", t
        # a sigmoid inside the loss added or removed
        elif name in ("binary_cross_entropy", "binary_cross_entropy_with_logits", "BCELoss", "BCEWithLogitsLoss"):
            other = {"binary_cross_entropy": "binary_cross_entropy_with_logits",
                     "binary_cross_entropy_with_logits": "binary_cross_entropy",
                     "BCELoss": "BCEWithLogitsLoss", "BCEWithLogitsLoss": "BCELoss"}[name]
            t, f = edit.copy()
            fc = _nodes(f, ast.Call)[k]
            if isinstance(fc.func, ast.Attribute):
                fc.func.attr = other
            else:
                fc.func.id = other
            yield f"{name} → {other} in {_text(c)}", "activation", t
        # a sigmoid added around a network's output
        if _network_call(c):
            t, f = edit.copy()
            fc = _nodes(f, ast.Call)[k]
            _replace(f, fc, ast.Call(func=ast.parse("torch.sigmoid", mode="eval").body, args=[fc], keywords=[]))
            yield f"a sigmoid added around {_text(c)}", "activation", t
    # a name bound to a loss function (bce = F.binary_cross_entropy_with_logits) switched
    for k, a in enumerate(_nodes(fn, ast.Attribute)):
        if a.attr in ("binary_cross_entropy", "binary_cross_entropy_with_logits") and not any(
                c.func is a for c in calls):
            other = ("binary_cross_entropy" if a.attr.endswith("logits") else "binary_cross_entropy_with_logits")
            t, f = edit.copy()
            _nodes(f, ast.Attribute)[k].attr = other
            yield f"{a.attr} → {other} in {_text(a)}", "activation", t


LOSS_FUNCTIONS = {"binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss", "l1_loss",
                  "cross_entropy", "BCELoss", "BCEWithLogitsLoss", "MSELoss"}


def _reduction(tree, fn_name):
    edit = _Edit(tree, fn_name)
    _, fn = edit.copy()
    calls = _nodes(fn, ast.Call)
    for k, c in enumerate(calls):
        name = _last(_dotted(c.func))
        if isinstance(c.func, ast.Attribute) and c.func.attr == "mean":
            t, f = edit.copy()
            _nodes(f, ast.Call)[k].func.attr = "sum"
            yield f"sum for mean: {_text(c)}", "reduction", t
        elif name in LOSS_FUNCTIONS and not any(kw.arg == "reduction" for kw in c.keywords):
            t, f = edit.copy()
            _nodes(f, ast.Call)[k].keywords.append(ast.keyword(arg="reduction", value=ast.Constant("sum")))
            yield f"sum for mean: reduction='sum' in {_text(c)}", "reduction", t
    # a name bound to a loss function: every call through it sums
    for node in _nodes(fn, ast.Assign):
        if (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and _last(_dotted(node.value)) in LOSS_FUNCTIONS):
            alias = node.targets[0].id
            for k, c in enumerate(calls):
                if isinstance(c.func, ast.Name) and c.func.id == alias:
                    t, f = edit.copy()
                    _nodes(f, ast.Call)[k].keywords.append(ast.keyword(arg="reduction", value=ast.Constant("sum")))
                    yield f"sum for mean: reduction='sum' in {_text(c)}", "reduction", t


REDUCERS = {"mean", "std", "var", "sum", "median", "amax", "amin", "max", "min", "softmax", "cat", "stack"}


def _dims(tree, fn_name):
    edit = _Edit(tree, fn_name)
    _, fn = edit.copy()
    for k, c in enumerate(_nodes(fn, ast.Call)):
        name = _last(_dotted(c.func))
        if name not in REDUCERS:
            continue
        for i, kw in enumerate(c.keywords):
            if kw.arg == "dim" and isinstance(kw.value, ast.Constant) and kw.value.value in (0, 1, -1):
                new = {0: 1, 1: 0, -1: 0}[kw.value.value]
                t, f = edit.copy()
                _nodes(f, ast.Call)[k].keywords[i].value = ast.Constant(new)
                yield f"dim={kw.value.value} → dim={new} in {_text(c)}", "dim", t
        positional = 0 if isinstance(c.func, ast.Attribute) and name not in ("cat", "stack") else 1
        if len(c.args) > positional and isinstance(c.args[positional], ast.Constant) \
                and c.args[positional].value in (0, 1, -1):
            old = c.args[positional].value
            new = {0: 1, 1: 0, -1: 0}[old]
            t, f = edit.copy()
            _nodes(f, ast.Call)[k].args[positional] = ast.Constant(new)
            yield f"dimension {old} → {new} in {_text(c)}", "dim", t
        if name in ("mean", "std", "var", "sum") and isinstance(c.func, ast.Attribute) and not c.args \
                and not any(kw.arg == "dim" for kw in c.keywords):
            t, f = edit.copy()
            _nodes(f, ast.Call)[k].keywords.append(ast.keyword(arg="dim", value=ast.Constant(1)))
            yield f"dim=1 added to {_text(c)}", "dim", t


def _statistics(tree, fn_name):
    swaps = {"std": "var", "var": "std", "mean": "median"}
    edit = _Edit(tree, fn_name)
    _, fn = edit.copy()
    for k, c in enumerate(_nodes(fn, ast.Call)):
        if isinstance(c.func, ast.Attribute) and c.func.attr in swaps:
            t, f = edit.copy()
            _nodes(f, ast.Call)[k].func.attr = swaps[c.func.attr]
            yield f"{c.func.attr} → {swaps[c.func.attr]} in {_text(c)}", "statistic", t


OPERATORS = (_drop, _swap_args, _labels, _sign, _operators, _zero_grad, _detaches, _optimizer, _activations,
             _reduction, _dims, _statistics)


# --------------------------------------------------------------------------- the entry point

def _functions(tree):
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def mutants(fn_or_source, namespace=None, name=None, kinds=None):
    """Every single change of one function, as ``Mutant`` objects (label, kind, source, fn).

    ``fn_or_source``: a function (its source is read with ``inspect``; ``namespace`` defaults to its
    globals) or source text defining one or more functions. ``name``: the function to change and the
    one each mutant's ``fn`` is (default: the source's first function; a function's own name).
    ``kinds``: keep only these families (see the module's docstring).
    """
    if callable(fn_or_source):
        source = textwrap.dedent(inspect.getsource(fn_or_source))
        namespace = fn_or_source.__globals__ if namespace is None else namespace
        name = name or fn_or_source.__name__
    else:
        source = textwrap.dedent(fn_or_source)
    tree = ast.parse(source)
    defined = _functions(tree)
    if name is None:
        if not defined:
            raise ValueError("mutants: the source defines no function to change")
        name = defined[0]
    if name not in defined:
        raise ValueError(f"mutants: name={name!r} is not a function of the source; it defines {defined}")
    original = ast.unparse(tree)
    seen, out = {original}, []
    for operator in OPERATORS:
        for label, kind, changed in operator(tree, name):
            if kinds is not None and kind not in kinds:
                continue
            try:
                ast.fix_missing_locations(changed)
                text = ast.unparse(changed)
                compile(text, "<mutant>", "exec")
            except Exception:  # noqa: BLE001
                continue
            if text in seen:
                continue
            seen.add(text)
            out.append(Mutant(label, kind, text, name, namespace))
    return out


# --------------------------------------------------------------------------- judging a checker

#: Phrases of a checker's fallback messages: a ✗ made only of these names no mistake.
GENERIC = ("the checker crashed", "or another formula", "the right value is", "is off", "does not match", "is not one plain step", "is not right", "something is wrong",
           "the value is wrong", "is not the expected")


def is_generic(message):
    """True when a ✗ message names no mistake: it is a fallback phrase or a bare crash report."""
    first = message.strip().split("\n")[0]
    return any(phrase in first for phrase in GENERIC)


@dataclasses.dataclass
class Exercise:
    """One exercise under mutation.

    ``source``: the solution cell(s) defining the function(s); ``namespace``: what the solution runs in;
    ``function``: the name mutated; ``check(ns)``: runs the checker on the functions in namespace ``ns``
    and returns its verdict (it prints the message); ``harmless``: the mutants that do not change
    behaviour, {start of the label: why} (they must pass); ``alternatives``: correct answers written differently
    (sources defining ``function``; they must pass).
    """
    name: str
    source: str
    namespace: dict
    function: str
    check: object
    harmless: dict = dataclasses.field(default_factory=dict)
    alternatives: dict = dataclasses.field(default_factory=dict)
    kinds: tuple = None

    def mutants(self):
        return mutants(self.source, self.namespace, self.function, self.kinds)

    def is_harmless(self, mutant):
        """True when the mutant is listed as harmless: a key of ``harmless`` starts its label (a key
        ``(label, piece)`` also needs ``piece`` in the changed source, where two mutants share a label)."""
        return any(mutant.label.startswith(key) if isinstance(key, str) else
                   (mutant.label.startswith(key[0]) and key[1] in mutant.source) for key in self.harmless)


@dataclasses.dataclass
class Outcome:
    mutant: Mutant
    passed: bool
    message: str

    @property
    def category(self):
        """"passed", "generic" (✗ without a named mistake) or "named"."""
        if self.passed:
            return "passed"
        return "generic" if is_generic(self.message) else "named"


def run_check(check, ns):
    """(verdict, printed message) of ``check(ns)``."""
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            ok = check(ns)
    except Exception as exc:  # noqa: BLE001  (the checker itself failed: that names no mistake)
        return False, f"the checker crashed: {type(exc).__name__}: {exc}"
    return bool(ok), out.getvalue().strip()


def judge(exercise, progress=False):
    """Run every mutant of ``exercise`` through its checker: a list of ``Outcome``."""
    outcomes = []
    found = exercise.mutants()
    for i, m in enumerate(found):
        if progress:
            print(f"\r  {exercise.name}: mutant {i + 1}/{len(found)}", end="", file=sys.stderr, flush=True)
        ns = m.run()
        if ns is None:
            outcomes.append(Outcome(m, False, "✗ the changed source does not run"))
            continue
        ok, message = run_check(exercise.check, ns)
        outcomes.append(Outcome(m, ok, message))
    if progress:
        print(file=sys.stderr)
    return outcomes


def summary(exercise, outcomes):
    """Counts for the report: behaviour-changing mutants, named, generic, passed; harmless ones passing."""
    changing = [o for o in outcomes if not exercise.is_harmless(o.mutant)]
    harmless = [o for o in outcomes if exercise.is_harmless(o.mutant)]
    return {
        "exercise": exercise.name,
        "changing": len(changing),
        "named": sum(o.category == "named" for o in changing),
        "generic": sum(o.category == "generic" for o in changing),
        "wrongly passed": sum(o.passed for o in changing),
        "harmless": len(harmless),
        "harmless passing": sum(o.passed for o in harmless),
    }


def report(exercises, verbose=False):
    """Print one row per exercise; with ``verbose`` every mutant that is not named, too."""
    rows = []
    for ex in exercises:
        outcomes = judge(ex, progress=True)
        rows.append(summary(ex, outcomes))
        if verbose:
            for o in outcomes:
                wrong = ex.is_harmless(o.mutant) != o.passed or o.category == "generic"
                if wrong:
                    print(f"    [{o.category}] {o.mutant.label}\n        {o.message.splitlines()[0] if o.message else ''}")
    head = f"{'exercise':28} {'changing':>8} {'named':>6} {'generic':>7} {'passed':>6} {'share':>6} {'harmless ok':>11}"
    print(head)
    print("-" * len(head))
    for r in rows:
        share = r["named"] / r["changing"] if r["changing"] else 1.0
        print(f"{r['exercise']:28} {r['changing']:>8} {r['named']:>6} {r['generic']:>7} {r['wrongly passed']:>6} "
              f"{share:>6.0%} {r['harmless passing']:>5}/{r['harmless']:<5}")
    return rows


def _exercise_tables():
    here = Path(__file__).resolve().parent
    if str(here) not in sys.path:
        sys.path.insert(0, str(here))
    found = []
    for path in sorted(here.glob("test_mutants_*.py")):
        module = importlib.import_module(path.stem)
        found += list(getattr(module, "EXERCISES", lambda: [])())
    return found


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description="Run every mutant of every exercise through its checker.")
    parser.add_argument("--report", action="store_true", help="print the per-exercise table")
    parser.add_argument("--verbose", action="store_true", help="also list each mutant not diagnosed by name")
    parser.add_argument("--only", default=None, help="only the exercises whose name contains this text")
    args = parser.parse_args()
    import torch
    torch.set_num_threads(1)
    chosen = [e for e in _exercise_tables() if args.only is None or args.only in e.name]
    report(chosen, verbose=args.verbose)
