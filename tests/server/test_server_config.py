"""``keys`` and ``serve`` configuration: databases, data folders, hosts, ports, recognisers
and upstreams that cannot work are one ``error:`` line and exit 1, before anything starts."""

from __future__ import annotations

import importlib.util
import socket

import pytest

from audiosqueeze.cli import main


def _err(capsys) -> str:
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err
    return err


def test_a_database_that_cannot_be_opened_is_one_error_line(tmp_path, capsys):
    # before: "internal error (DatabaseError: (sqlite3.DatabaseError) file is not a database
    # ...)" / OperationalError, exit 70
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not SQLite\n" * 100)
    cases = [
        (f"sqlite:///{junk}", f"'sqlite:///{junk}': file is not a database"),
        (f"sqlite:///{tmp_path}", f"'sqlite:///{tmp_path}': unable to open database file"),
    ]
    if importlib.util.find_spec("psycopg"):  # port 1: refused at once, no server needed
        cases.append(("postgresql://u:hunter2@127.0.0.1:1/x", "u:***@127.0.0.1:1/x': connection"))
    for url, quote in cases:
        assert main(["keys", "list", "--db", url]) == 1
        err = _err(capsys)
        assert "error: cannot open the database '" in err and quote in err
        assert "hunter2" not in err
    assert junk.read_bytes().startswith(b"this is not SQLite")  # left as it was


def test_a_data_dir_that_is_a_file_is_named(tmp_path, capsys, monkeypatch):
    # before: "error: File exists (/.../file)"
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("AUDIOSQUEEZE_DATA_DIR", str(tmp_path / "file"))
    assert main(["keys", "create", "--name", "ci"]) == 1
    assert f"'{tmp_path / 'file'}' is a file, not a folder" in _err(capsys)


@pytest.fixture
def no_server(monkeypatch, tmp_path):
    """``serve`` up to the point where uvicorn would start; starting it fails the test."""
    import uvicorn

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.append(kw))
    monkeypatch.setenv("AUDIOSQUEEZE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AUDIOSQUEEZE_ADMIN_KEY", raising=False)
    return started


def _serve(*args) -> int:
    return main(["serve", "--vad", "energy", "--port", "0", *args])


def test_a_host_that_is_not_this_machines_is_one_error_line(no_server, capsys):
    # before: "serving on http://no such host!:0", then uvicorn's "ERROR: [Errno -2] Name or
    # service not known" log, exit 3
    assert _serve("--asr", "none", "--host", "no such host!") == 1
    assert "error: cannot serve on host 'no such host!' port 0: " in _err(capsys)
    assert _serve("--asr", "none", "--host", "a" * 300) == 1
    assert "characters)" in _err(capsys)  # the host quoted, cut short
    assert not no_server


def test_a_port_in_use_is_one_error_line(no_server, capsys):
    # before: uvicorn's "ERROR: [Errno 98] ... address already in use" log after its
    # start-up, exit 3
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        assert main(["serve", "--asr", "none", "--vad", "energy", "--port", str(port)]) == 1
    assert f"error: cannot serve on host '127.0.0.1' port {port}: Address already in use" in (
        _err(capsys)
    )
    assert not no_server


def test_an_unknown_recogniser_or_upstream_is_refused_before_serving(no_server, capsys):
    # before: --asr nonsense started the server with only a warning (every transcription then
    # 503); --upstream ftp://... or a URL without http:// started it and every transcription
    # got 502 "cannot reach the transcription upstream"
    assert _serve("--asr", "nonsense") == 1
    assert "error: unknown ASR 'nonsense'" in _err(capsys)
    for url, shown in (("ftp://u:hunter2@host/v1", "'ftp://host/v1'"),
                       ("api.example.com/v1", "'api.example.com/v1'")):  # fmt: skip
        assert _serve("--asr", "none", "--upstream", url) == 1
        err = _err(capsys)
        assert f"http:// or https:// base URL (…/v1), got {shown}" in err
        assert "hunter2" not in err
    assert not no_server
    assert _serve("--asr", "none", "--upstream", "https://u:p@host/v1") == 0  # well-formed
    assert no_server and "serving on http://127.0.0.1:0" in _err(capsys)


def test_an_ipv6_host_is_shown_in_brackets(no_server, capsys):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError as e:
        pytest.skip(f"no IPv6 loopback: {e}")
    assert _serve("--asr", "none", "--host", "::1") == 0
    assert "serving on http://[::1]:0" in _err(capsys)
