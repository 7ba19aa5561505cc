"""L-BFGS with an optional strong-Wolfe line search: PyTorch's algorithm, step for step.

The quantities PyTorch keeps as 0-dim tensors (curvatures ``y·s``, the directional derivative
``g·d``, the step ``t`` after the first iteration) stay graphgrad 0-dim tensors here too, so the float32
rounding is the same and the iterates agree with PyTorch's.
"""

from __future__ import annotations

from .. import _factories
from ..autograd.grad_mode import enable_grad, no_grad
from ..ops.shape import cat
from .optimizer import Optimizer, _check_hyperparameters, _to_scalar


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clipped to ``bounds``
    (default: the interval between x1 and x2); the bounds' midpoint when the cubic has no minimum."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = d2_square.sqrt()
    if x1 <= x2:
        minimum = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        minimum = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minimum, low), high)


class _Probe:
    """One evaluation along the search direction: step t, loss f, flat gradient g and slope g·d."""

    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t, f, g, gtd):
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Line search for a step satisfying the strong Wolfe conditions (Nocedal & Wright, alg. 3.5/3.6).

    ``evaluate(t)`` returns (loss, flat gradient) at ``x + t d``. Returns (loss, grad, t, evaluations).
    """
    d_norm = d.abs().max()
    start = _Probe(0, f, g.clone(), gtd)

    def probe(step):
        loss, grad = evaluate(step)
        return _Probe(step, loss, grad, grad.dot(d))

    def sufficient_decrease(p):
        return p.f <= f + c1 * p.t * gtd

    def curvature_ok(p):
        return abs(p.gtd) <= -c2 * gtd

    # Phase 1: grow the step until an interval is known to contain an acceptable one.
    prev, new = start, probe(t)
    evaluations, iteration, done, bracket = 1, 0, False, None
    while iteration < max_ls:
        if not sufficient_decrease(new) or (iteration > 1 and new.f >= prev.f):
            bracket = [prev, _Probe(new.t, new.f, new.g.clone(), new.gtd)]
            break
        if curvature_ok(new):
            bracket, done = [new], True
            break
        if new.gtd >= 0:
            bracket = [prev, _Probe(new.t, new.f, new.g.clone(), new.gtd)]
            break
        step = _cubic_minimum(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd,
                              bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10))
        prev = _Probe(new.t, new.f, new.g.clone(), new.gtd)
        new = probe(step)
        evaluations += 1
        iteration += 1
    if iteration == max_ls:
        bracket = [_Probe(0, f, g, None), new]

    # Phase 2 ("zoom"): shrink the interval by cubic interpolation until the step is acceptable.
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    insufficient_progress = False
    while not done and iteration < max_ls:
        lo_t, hi_t = min(bracket[0].t, bracket[1].t), max(bracket[0].t, bracket[1].t)
        if abs(bracket[1].t - bracket[0].t) * d_norm < tolerance_change:
            break
        step = _cubic_minimum(bracket[0].t, bracket[0].f, bracket[0].gtd,
                              bracket[1].t, bracket[1].f, bracket[1].gtd)
        # Keep away from the interval's ends: a step there gains almost nothing.
        margin = 0.1 * (hi_t - lo_t)
        if min(hi_t - step, step - lo_t) < margin:
            if insufficient_progress or step >= hi_t or step <= lo_t:
                step = hi_t - margin if abs(step - hi_t) < abs(step - lo_t) else lo_t + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        new = probe(step)
        evaluations += 1
        iteration += 1
        if not sufficient_decrease(new) or new.f >= bracket[low].f:
            bracket[high] = _Probe(new.t, new.f, new.g.clone(), new.gtd)
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if curvature_ok(new):
                done = True
            elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = _Probe(new.t, new.f, new.g.clone(), new.gtd)
    best = bracket[low] if len(bracket) > 1 else bracket[0]
    return best.f, best.g, best.t, evaluations


class LBFGS(Optimizer):
    """Limited-memory BFGS: a quasi-Newton direction from the last ``history_size`` steps and gradient
    changes, with a fixed step ``lr`` or a strong-Wolfe line search (``line_search_fn="strong_wolfe"``).

    ``step(closure)`` needs the closure (it evaluates the loss several times) and runs up to
    ``max_iter`` iterations. One parameter group only.

    >>> import graphgrad
    >>> w = graphgrad.tensor([3.0, -1.0], requires_grad=True)
    >>> opt = graphgrad.optim.LBFGS([w], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((w - 1) ** 2).sum()
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(closure)
    >>> w
    tensor([1., 1.], requires_grad=True)
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        _check_hyperparameters(lr=lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr, "max_iter": max_iter, "max_eval": max_eval, "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change, "history_size": history_size, "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self):
        return cat([p.grad.reshape(-1) if p.grad is not None else _factories.zeros(p.numel(), dtype=p.dtype)
                    for p in self._params], 0)

    def _move(self, step_size, direction):
        """params += step_size * direction (the flat direction cut back into the parameters' shapes)."""
        offset = 0
        for p in self._params:
            p.add_(direction[offset:offset + p.numel()].view_as(p), alpha=_to_scalar(step_size))
            offset += p.numel()

    def _evaluate_at(self, closure, start, t, direction):
        """(loss, flat gradient) at ``start + t * direction``; the parameters are put back afterwards."""
        self._move(t, direction)
        loss = float(closure())
        grad = self._flat_grad()
        for p, value in zip(self._params, start):
            p.copy_(value)
        return loss, grad

    @staticmethod
    def _two_loop_direction(grad, old_dirs, old_stps, ro, h_diag, al):
        """The L-BFGS two-loop recursion: -H grad with H the inverse-Hessian estimate.

        (The 0-dim tensor coefficients go in as Python numbers, as PyTorch reads a tensor ``alpha``.)"""
        q = grad.neg()
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = old_stps[i].dot(q) * ro[i]
            q.add_(old_dirs[i], alpha=-_to_scalar(al[i]))
        r = q * h_diag
        for i in range(len(old_dirs)):
            be_i = old_dirs[i].dot(r) * ro[i]
            r.add_(old_stps[i], alpha=_to_scalar(al[i] - be_i))
        return r

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; returns the closure's loss at the starting point."""
        with no_grad():
            return self._step(closure)

    def _step(self, closure):
        def evaluate():
            with enable_grad():
                return closure()

        group = self.param_groups[0]
        lr = _to_scalar(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = evaluate()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if flat_grad.abs().max() <= tolerance_grad:  # already optimal
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag, prev_flat_grad, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:  # steepest descent to start
                d = flat_grad.neg()
                old_dirs, old_stps, ro, h_diag = [], [], [], 1
            else:
                y = flat_grad.sub(prev_flat_grad)
                s = d.mul(t)
                ys = y.dot(s)
                if ys > 1e-10:  # keep the pair only when the curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y)
                if "al" not in state:
                    state["al"] = [None] * history_size
                d = self._two_loop_direction(flat_grad, old_dirs, old_stps, ro, h_diag, state["al"])

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.clone()
            else:
                prev_flat_grad.copy_(flat_grad)
            prev_loss = loss

            t = min(1.0, 1.0 / flat_grad.abs().sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                start = [p.clone() for p in self._params]
                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    lambda step, start=start, direction=d: self._evaluate_at(evaluate, start, step, direction),
                    t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self._move(t, d)
                opt_cond = flat_grad.abs().max() <= tolerance_grad
            else:
                self._move(t, d)
                opt_cond = False
                if n_iter != max_iter:  # re-evaluate, except after the last iteration
                    loss = float(evaluate())
                    flat_grad = self._flat_grad()
                    opt_cond = flat_grad.abs().max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if (n_iter == max_iter or current_evals >= max_eval or opt_cond
                    or d.mul(t).abs().max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change):
                break

        state.update({"d": d, "t": t, "old_dirs": old_dirs, "old_stps": old_stps, "ro": ro, "H_diag": h_diag,
                      "prev_flat_grad": prev_flat_grad, "prev_loss": prev_loss})
        return orig_loss
