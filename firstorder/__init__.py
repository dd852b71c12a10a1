"""firstorder: check that ΔC ≈ ∇C·Δv, and that its error shrinks like |Δv|².

The public API; the implementation lives in private modules.
"""

from ._backends import BACKENDS, GradientResult, backends, gradient
from ._case import Case, case
from ._check import CheckResult, check_gradient
from ._contexts import DEFAULT_DPS, PRECISIONS, Context, context
from ._errors import CaseError, FirstOrderError, NotApplicableError
from ._locate import Diagnosis, locate_wrong_components
from ._mutate import MutationResult, mutate
from ._registry import LoadProblem, Registry, builtin_cases_dir, load_cases, resolve_case
from ._sweep import RunResult, RunSpec, run
from ._sweep_steps import StepSweep, step_sweep
from ._taylor import Fit, TaylorResult, taylor_test
from ._version import __version__

__all__ = [
    "BACKENDS",
    "DEFAULT_DPS",
    "PRECISIONS",
    "Case",
    "CaseError",
    "Context",
    "FirstOrderError",
    "GradientResult",
    "LoadProblem",
    "NotApplicableError",
    "Registry",
    "RunResult",
    "RunSpec",
    "StepSweep",
    "__version__",
    "backends",
    "builtin_cases_dir",
    "case",
    "context",
    "gradient",
    "load_cases",
    "resolve_case",
    "run",
    "step_sweep",
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
__all__ += ["MutationResult", "mutate"]
