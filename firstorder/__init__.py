"""firstorder: check that ΔC ≈ ∇C·Δv, and that its error shrinks like |Δv|².

The public API; the implementation lives in private modules.
"""

from ._case import Case, case
from ._check import CheckResult, check_gradient
from ._contexts import DEFAULT_DPS, PRECISIONS, Context, context
from ._errors import CaseError, FirstOrderError, NotApplicableError
from ._locate import Diagnosis, locate_wrong_components
from ._registry import LoadProblem, Registry, builtin_cases_dir, load_cases, resolve_case
from ._taylor import Fit, TaylorResult, taylor_test
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
    "__version__",
    "builtin_cases_dir",
    "case",
    "context",
    "load_cases",
    "resolve_case",
]
__all__ += [
    "CheckResult",
    "Diagnosis",
    "Fit",
    "TaylorResult",
    "check_gradient",
    "locate_wrong_components",
    "taylor_test",
]
