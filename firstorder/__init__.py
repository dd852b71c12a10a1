"""firstorder: check that ΔC ≈ ∇C·Δv, and that its error shrinks like |Δv|².

The public API; the implementation lives in private modules.
"""

from ._version import __version__
from .case.loading import builtin_cases_dir, load_cases, resolve_case
from .case.model import Case, case
from .case.registry import LoadProblem, Registry
from .errors import CaseError, FirstOrderError, NotApplicableError
from .gradients.backends import BACKENDS, GradientResult, backends, gradient
from .numbers import DEFAULT_DPS, PRECISIONS, Context, context
from .studies.grid import RunResult, RunSpec, run
from .studies.mutation import MutationResult, mutate
from .studies.step_sweep import StepSweep, step_sweep
from .taylor.check import CheckResult, check_gradient
from .taylor.harness import Fit, TaylorResult, taylor_test
from .taylor.locate import Diagnosis, locate_wrong_components

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
