"""``firstorder list`` and ``firstorder show``: the registered cost cases."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from ..numbers import DEFAULT_DPS
from .common import add_cases_option, emit_frame, emit_json, registry_from, report_problems

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Register ``list`` and ``show``."""
    p = sub.add_parser("list", help="list the registered cost cases")
    add_cases_option(p)
    p.add_argument("--tag", action="append", default=[], help="only cases with this tag")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.set_defaults(func=run_list)

    s = sub.add_parser("show", help="show one case: metadata, docstring, value and gradient")
    s.add_argument("name", metavar="NAME")
    add_cases_option(s)
    s.add_argument("--format", choices=["text", "json"], default="text")
    s.add_argument("--dps", type=int, default=DEFAULT_DPS, help="digits of the mp evaluation")
    s.set_defaults(func=run_show)


#: Width of the reference column in ``list``'s table.
REFERENCE_WIDTH = 48


def _clip(text: str) -> str:
    """``text`` cut to :data:`REFERENCE_WIDTH` characters, with "…" when cut."""
    return text if len(text) <= REFERENCE_WIDTH else text[: REFERENCE_WIDTH - 1] + "…"


def run_list(args: argparse.Namespace) -> int:
    """List cases; exit 2, listing nothing, when some case file failed to load."""
    from ..case.describe import cases_frame

    reg = registry_from(args)
    if report_problems(reg):
        return 2
    frame = cases_frame(reg.select(tags=args.tag or None))
    if args.format == "table":
        frame = frame.assign(
            tags=frame["tags"].map(",".join), reference=frame["reference"].map(_clip)
        )
    elif args.format == "csv":
        frame = frame.assign(tags=frame["tags"].map(";".join))
    emit_frame(frame, args.format)
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Show one case; exit 2 when some case file failed to load."""
    reg = registry_from(args)
    if report_problems(reg):
        return 2
    c = reg[args.name]  # an unknown name exits before the describing imports
    from ..case.describe import describe

    desc = describe(c, dps=args.dps)
    data = desc.to_dict()
    if args.format == "json":
        emit_json(data)
        return 0
    lines = [f"{data['name']}  (dim {data['dim']}{', scalable' if data['scalable'] else ''})"]
    lines.append(f"  reference:    {data['reference']}")
    lines.append(f"  tags:         {', '.join(data['tags'])}")
    lines.append(f"  complex-safe: {data['complex_safe']}   Hessian: {data['has_hessian']}")
    lines.append(f"  defined at:   {data['source']}")
    if data["doc"]:
        lines.append("")
        lines += ["  " + t for t in data["doc"].splitlines()]
    lines.append("")
    lines.append(f"  x0       = {data['x0']}")
    lines.append(f"  C(x0)    = {data['value']!r}  (float64)")
    lines.append(f"           = {data['value_mp']}  (mp, {data['dps']} digits)")
    if data["published_value"] is not None:
        lines.append(f"  published C(x0) = {data['published_value']}")
    lines.append("  ∇C(x0), float64 | mp:")
    for i, (g, gm) in enumerate(zip(data["gradient"], data["gradient_mp"], strict=True)):
        lines.append(f"    [{i}] {g!r:>24} | {gm}")
        if i == 19 and len(data["gradient"]) > 21:
            lines.append(f"    … {len(data['gradient']) - 20} more components (use --format json)")
            break
    print(textwrap.dedent("\n".join(lines)))
    return 0
