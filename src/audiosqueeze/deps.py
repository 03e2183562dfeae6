"""Optional dependencies: import one, or say which extra installs it.

The core never needs these; the recognisers, the harness, the service and the corpus tools
import theirs through :func:`require` at the point of use, so ``import audiosqueeze`` stays light.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra to install.

    >>> require("json", "none").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingDependencyError(
            f"{module!r} is not installed: pip install 'audiosqueeze[{extra}]'"
        ) from e
