"""``firstorder taylor`` and ``firstorder check``: the Taylor test from the shell."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..case.loading import import_user_file
from ..errors import FirstOrderError
from ..numbers import DEFAULT_DPS, context
from ..vocab import TAYLOR_PRECISIONS
from .common import add_cases_option, emit_frame, emit_json, registry_from, report_problems

if TYPE_CHECKING:
    from ..taylor.harness import TaylorResult

__all__ = ["add_parser"]

#: Exit status by verdict.
#: Exit status per verdict: a method that does not apply to the case is bad input (2);
#: an inconclusive test is neither a pass nor a fail (3).
EXIT = {"pass": 0, "exact": 0, "fail": 1, "inconclusive": 3, "not-applicable": 2}


_PRECISION_HELP = f"one of {', '.join(TAYLOR_PRECISIONS)} (default float64)"


def add_parser(sub: Any) -> None:
    """Register ``taylor`` and ``check``."""
    p = sub.add_parser("taylor", help="Taylor test of one case: remainder orders and verdict")
    p.add_argument("case", metavar="CASE")
    add_cases_option(p)
    p.add_argument("--gradient", default="analytic", help="gradient backend (default analytic)")
    p.add_argument("--precision", default="float64", help=_PRECISION_HELP)
    p.add_argument("--dps", type=int, default=DEFAULT_DPS, help="digits for mp")
    p.add_argument("--point", default=None, help="X1,X2,… (default the case's x0)")
    p.add_argument("--direction", default="random", help="random, descent, e<i> or X1,X2,…")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.add_argument("--explain", action="store_true", help="show ΔC against ∇C·Δv step by step")
    p.set_defaults(func=run_taylor)

    c = sub.add_parser("check", help="Taylor test of your own cost and gradient functions")
    c.add_argument("cost", metavar="FILE.py:COST")
    c.add_argument("grad", metavar="FILE.py:GRAD")
    c.add_argument("--point", required=True, help="X1,X2,…")
    c.add_argument("--precision", default="float64", help=_PRECISION_HELP)
    c.add_argument(
        "--directions",
        type=int,
        default=2,
        help="seeded random directions, after the descent one (default 2)",
    )
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--format", choices=["text", "json"], default="text")
    c.set_defaults(func=run_check)


def _vector(text: str, what: str) -> np.ndarray:
    try:
        return np.array([float(t) for t in text.split(",")], dtype=np.float64)
    except ValueError:
        raise FirstOrderError(
            f"`--{what}` must be numbers separated by commas, not `{text}`."
        ) from None


def run_taylor(args: argparse.Namespace) -> int:
    """Run the Taylor test of one case; exit 0 pass/exact, 1 fail, 2 bad input or a
    gradient that does not apply, 3 inconclusive."""
    if args.precision not in TAYLOR_PRECISIONS:
        from ..errors import unknown

        raise unknown("precision", args.precision, TAYLOR_PRECISIONS)
    reg = registry_from(args)
    if report_problems(reg):
        return 2
    case = reg[args.case]
    point = None if args.point is None else _vector(args.point, "point")
    direction: Any = args.direction
    if "," in direction or direction.replace(".", "").replace("-", "").isdigit():
        direction = _vector(direction, "direction")
    if args.explain:
        return _explain(case, point, direction, args)
    from ..taylor.harness import taylor_test

    res = taylor_test(
        case,
        point,
        direction=direction,
        gradient=args.gradient,
        precision=args.precision,
        dps=args.dps,
        seed=args.seed,
    )
    if args.format == "json":
        emit_json(res.to_dict())
    elif res.verdict == "not-applicable":
        raise FirstOrderError(f"`{res.gradient}` does not apply to case `{res.case}`: {res.reason}")
    elif args.format == "csv":
        emit_frame(res.to_frame(), "csv")
    else:
        _print_table(res)
    return EXIT[res.verdict]


def _print_table(res: TaylorResult) -> None:
    import pandas as pd

    frame = res.to_frame()[["h", "r0", "r1", "r2", "local_order_r1", "in_window"]]
    with pd.option_context("display.float_format", "{:.3e}".format):
        print(frame.to_string(index=False))
        print()
        print(res.fits_frame().drop(columns=["reason"]).to_string(index=False))
    print()
    print(f"{res.case} [{res.gradient}, {res.precision}]: {res.verdict.upper()} — {res.reason}")
    if res.h_star is not None and _has_step_error(res.gradient):
        print(f"h* = {res.h_star:.3g}: below it the backend's own error takes over r1.")
    if res.diagnosis is not None:
        print("wrong components:")
        print(res.diagnosis.to_frame().to_string(index=False))


def _has_step_error(name: str) -> bool:
    """Whether the backend ``name`` carries a step-dependent formula error worth an h*.

    Exact backends (analytic, autodiff, reference) have no step, and the complex step
    (accuracy ``eps^1``) is exact to round-off: for them a sentence about steps misleads.
    """
    from ..gradients.backends import BACKENDS

    b = BACKENDS.get(name)
    if b is None:
        return False
    return not b.exact and not (b.accuracy is not None and b.accuracy >= 1.0)


def _explain(case: Any, point: Any, direction: Any, args: argparse.Namespace) -> int:
    """Print ΔC, ∇C·Δv, their difference and difference/‖Δv‖² for shrinking Δv."""
    import pandas as pd

    from ..taylor.harness import taylor_test

    steps = 10.0 ** -np.arange(1, 8)
    res = taylor_test(
        case,
        point,
        direction=direction,
        gradient=args.gradient,
        precision=args.precision,
        dps=args.dps,
        steps=steps,
        seed=args.seed,
    )
    d = res.direction
    rows: dict[str, Any] = {"|Δv|": res.steps}
    for i in range(min(len(d), 4)):
        rows[f"Δv{i + 1}"] = res.steps * d[i]
    dc, lin = res.remainders["delta_c"], res.remainders["linear"]
    terms = " + ".join(f"∂C/∂v{i + 1}·Δv{i + 1}" for i in range(min(len(d), 2)))
    terms += " + …" if len(d) > 2 else ""
    rows["ΔC"] = dc
    rows[terms] = lin
    rows["difference"] = dc - lin
    rows["difference/|Δv|²"] = (dc - lin) / res.steps**2
    frame = pd.DataFrame(rows)
    pt = [float(t) for t in res.point]
    print(f"Case `{res.case}` at v = {pt}, along d = {[round(float(t), 6) for t in d]}:")
    print(f"ΔC ≈ {terms} is the first-order Taylor approximation; its error shrinks like |Δv|².")
    print()
    with pd.option_context("display.float_format", "{:.6e}".format):
        print(frame.to_string(index=False))
    print()
    if res.curvature is not None:
        limit = res.curvature / 2
        print(f"predicted limit of difference/|Δv|²: dᵀHd/2 = {limit:.6e}")
        # round-off: the difference is computed from two numbers that agree to ~eps·|C|
        eps = float(context(res.precision).eps) if res.precision != "mp" else 0.0
        c0 = abs(float(np.asarray(case.cost(res.point))))
        noise = 2 * eps * c0 / float(res.steps[-1]) ** 2
        if res.precision != "mp" and noise > 1e-6 * max(abs(limit), 1e-300):
            print(
                f"In {res.precision} the smallest |Δv| lose digits: ΔC and ∇C·Δv agree to "
                "about eps·|C|, so their difference carries round-off of relative size "
                f"{noise / max(abs(limit), 1e-300):.0e} there. Add `--precision mp` to watch "
                "the limit reached."
            )
    if args.format == "json":
        emit_frame(frame, "json")
    return 0


def _load(spec: str) -> Any:
    """Load ``FILE.py:NAME`` or ``module:NAME``."""
    target, sep, name = spec.rpartition(":")
    if not sep or not target or not name:
        raise FirstOrderError(f"`{spec}` must be FILE.py:NAME or module:NAME.")
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise FirstOrderError(f"file `{target}` does not exist.")
        try:
            module = import_user_file(path, f"_firstorder_check_{path.stem}")
        except FirstOrderError:
            raise
        except Exception as exc:
            raise FirstOrderError(
                f"file `{target}` failed to import: {type(exc).__name__}: {exc}."
            ) from exc
    else:
        sys.path.insert(0, str(Path.cwd()))
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise FirstOrderError(f"module `{target}` cannot be imported: {exc}.") from exc
    if not hasattr(module, name):
        names = [n for n in dir(module) if callable(getattr(module, n)) and not n.startswith("_")]
        from ..errors import unknown

        raise unknown(f"function in `{target}`", name, names)
    return getattr(module, name)


def run_check(args: argparse.Namespace) -> int:
    """Check a user's gradient; exit 0 pass/exact, 1 fail, 3 otherwise."""
    cost, grad = _load(args.cost), _load(args.grad)
    point = _vector(args.point, "point")
    from ..taylor.check import check_gradient

    res = check_gradient(
        cost, grad, point, precision=args.precision, directions=args.directions, seed=args.seed
    )
    if args.format == "json":
        emit_json(res.to_dict())
    else:
        print(f"{res.verdict.upper()} — {res.reason}")
        for r in res.results:
            dirn = [round(float(t), 4) for t in r.direction]
            print(f"  direction {dirn}: {r.verdict} (r1 order {r.order:.3f})")
        for r in res.results:
            if r.diagnosis is not None:
                print(r.diagnosis.to_frame().to_string(index=False))
    return EXIT[res.verdict]
