"""firstorder: check that ΔC ≈ ∇C·Δv, and that its error shrinks like |Δv|².

The public API; the implementation lives in the layer subpackages.

The model layer (``Case``, ``@case``, contexts and errors) is imported with the
package; everything else on first use (PEP 562). Installing firstorder registers its
pytest plugin in every pytest session of the environment, and importing the plugin
imports this package: it must not pull in pandas, mpmath or SciPy for projects that
never call firstorder.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .case.model import Case, case
from .errors import CaseError, FirstOrderError, NotApplicableError
from .numbers import DEFAULT_DPS, PRECISIONS, Context, context

if TYPE_CHECKING:
    from .case.loading import builtin_cases_dir, load_cases, resolve_case
    from .case.registry import LoadProblem, Registry
    from .gradients.backends import BACKENDS, GradientResult, backends, gradient
    from .studies.grid import RunResult, RunSpec, run
    from .studies.mutation import MutationResult, mutate
    from .studies.step_sweep import StepSweep, step_sweep
    from .taylor.check import CheckResult, check_gradient
    from .taylor.harness import Fit, TaylorResult, taylor_test
    from .taylor.locate import Diagnosis, locate_wrong_components

#: The public names imported on first use, by module.
_LAZY = {
    ".case.registry": ("LoadProblem", "Registry"),
    ".case.loading": ("builtin_cases_dir", "load_cases", "resolve_case"),
    ".gradients.backends": ("BACKENDS", "GradientResult", "backends", "gradient"),
    ".studies.grid": ("RunResult", "RunSpec", "run"),
    ".studies.mutation": ("MutationResult", "mutate"),
    ".studies.step_sweep": ("StepSweep", "step_sweep"),
    ".taylor.check": ("CheckResult", "check_gradient"),
    ".taylor.harness": ("Fit", "TaylorResult", "taylor_test"),
    ".taylor.locate": ("Diagnosis", "locate_wrong_components"),
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [
    "BACKENDS",
    "DEFAULT_DPS",
    "PRECISIONS",
    "Case",
    "CaseError",
    "CheckResult",
    "Context",
    "Diagnosis",
    "FirstOrderError",
    "Fit",
    "GradientResult",
    "LoadProblem",
    "MutationResult",
    "NotApplicableError",
    "Registry",
    "RunResult",
    "RunSpec",
    "StepSweep",
    "TaylorResult",
    "__version__",
    "backends",
    "builtin_cases_dir",
    "case",
    "check_gradient",
    "context",
    "gradient",
    "load_cases",
    "locate_wrong_components",
    "mutate",
    "resolve_case",
    "run",
    "step_sweep",
    "taylor_test",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module `firstorder` has no attribute `{name}`")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
