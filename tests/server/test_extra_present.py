"""Says, as a skip with its reason, when the service tests cannot run for want of the extra."""

import pytest


def test_server_extra_is_installed():
    for module in ("fastapi", "sqlalchemy", "alembic", "uvicorn", "multipart", "jinja2"):
        pytest.importorskip(
            module,
            reason="the [server] extra is not installed: "
            "pip install -e '.[server]' (the service tests were not collected)",
        )
