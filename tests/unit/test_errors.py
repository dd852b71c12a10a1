"""`errors.unknown`: one sentence, short lists in full, long ones by their closest names."""

from __future__ import annotations

import firstorder as fo
from firstorder.errors import FULL_LIST_MAX, unknown

CASES = sorted(fo.load_cases())


def test_long_list_gives_suggestion_close_names_and_listing_command() -> None:
    msg = str(unknown("case", "rosenbrok", CASES))
    assert msg.startswith("unknown case `rosenbrok` (did you mean `rosenbrock`?)")
    assert "`ext_rosenbrock`" in msg
    assert msg.endswith(f"`firstorder list` shows all {len(CASES)}.")
    # not every name: the 2 kB line is gone
    assert "`seed`" not in msg and len(msg) < 250
    assert msg.count(".") == 1  # one sentence


def test_short_list_is_listed_in_full() -> None:
    valid = [f"b{i}" for i in range(FULL_LIST_MAX)]
    msg = str(unknown("backend", "b", valid))
    assert all(f"`{v}`" in msg for v in valid)


def test_long_list_without_listing_command_names_a_few() -> None:
    valid = [f"f{i:02d}" for i in range(30)]
    msg = str(unknown("function in `x.py`", "zz", valid))
    assert (
        msg == "unknown function in `x.py` `zz`; 30 names in all, e.g. `f00`, `f01`, `f02`, `f03`."
    )
