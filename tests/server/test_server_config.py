"""``keys`` and ``serve`` configuration: databases, data folders, hosts, ports, recognisers
and upstreams that cannot work are one ``error:`` line and exit 1, before anything starts."""

from __future__ import annotations

import importlib.util

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
