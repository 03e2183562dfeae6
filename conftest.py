"""Root conftest: doctests of modules whose optional extra is not installed are skipped with
the reason (README's second command runs the suite after installing only the first command's
extras), and modules that cannot even be imported without their extra are not collected."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

PKG = Path(__file__).parent / "src" / "audiosqueeze"

#: module path (relative to the package) -> (modules its doctests need, the extra to install)
DOCTEST_NEEDS = {
    "evaluate.py": (("jiwer", "whisper_normalizer"), "bench"),
    "bench": (("jiwer", "whisper_normalizer"), "bench"),
}
#: modules that import an optional package at import time -> (that package, the extra)
IMPORT_NEEDS: dict[str, tuple[str, str]] = {
    "server": ("fastapi", "server"),  # the service package imports FastAPI/SQLAlchemy (issue 10)
}


def _missing(modules) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


collect_ignore = [str(PKG / rel) for rel, (module, _) in IMPORT_NEEDS.items() if _missing([module])]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if type(item).__name__ != "DoctestItem":
            continue
        rel = Path(str(item.fspath)).resolve().relative_to(PKG.resolve()).as_posix()
        for prefix, (modules, extra) in DOCTEST_NEEDS.items():
            if rel == prefix or rel.startswith(prefix + "/"):
                missing = _missing(modules)
                if missing:
                    reason = f"needs {', '.join(missing)}: pip install -e '.[{extra}]'"
                    item.add_marker(pytest.mark.skip(reason=reason))
