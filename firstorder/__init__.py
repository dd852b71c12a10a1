"""firstorder: check that ΔC ≈ ∇C·Δv, and that its error shrinks like |Δv|².

The public API; the implementation lives in private modules.
"""

from ._case import Case, case
from ._contexts import DEFAULT_DPS, PRECISIONS, Context, context
from ._errors import CaseError, FirstOrderError, NotApplicableError
from ._registry import LoadProblem, Registry, builtin_cases_dir, load_cases, resolve_case
from ._sweep import RunResult, RunSpec, run
from ._version import __version__

__all__ = [
    "DEFAULT_DPS",
    "PRECISIONS",
    "Case",
    "CaseError",
    "Context",
    "FirstOrderError",
    "LoadProblem",
    "NotApplicableError",
    "Registry",
    "RunResult",
    "RunSpec",
    "__version__",
    "builtin_cases_dir",
    "case",
    "context",
    "load_cases",
    "resolve_case",
    "run",
]
