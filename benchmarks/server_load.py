"""Load (and crash) benchmark of the service on loopback: N concurrent clients for T seconds
post real clips to /v1/compress, with a share of bad inputs mixed in.

It starts `audiosqueeze serve` in a subprocess (auth on, one key, SQLite in a temporary data
dir unless --db is given), runs the clients, and prints p50/p99 latency, throughput and the
status counts. Then it checks what the issue asks: no 5xx; every 200 has its usage record
(by the x-request-id the server returned); and, with --crash-after S, the server is killed
with SIGKILL S seconds in and restarted on the same database, and afterwards every 200 (from
before and after the kill) must still have its record (SQLite or PostgreSQL) and an SQLite
file must pass ``PRAGMA integrity_check``. Exit status 1 if any check fails.

    taskset -c 0,1 .venv/bin/python benchmarks/server_load.py --data ../shared/data \
        --clients 50 --seconds 60
    .venv/bin/python benchmarks/server_load.py --clients 50 --seconds 60 --crash-after 20

The clients and the server share this machine's cores; all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from _script import run_script, whole

REPO = Path(__file__).resolve().parents[1]
CLI = "import sys; from audiosqueeze.cli import main; sys.exit(main(sys.argv[1:]))"


@dataclass
class Outcome:
    kind: str  # "good" or the bad input's name
    status: int  # 0: no HTTP answer (connection refused/reset, e.g. during the crash)
    latency_s: float
    request_id: str | None
    seconds_in: float = 0.0


@dataclass
class Server:
    args: list[str]
    env: dict
    port: int
    proc: subprocess.Popen | None = None
    log: list = field(default_factory=list)

    def start(self, timeout_s: float = 120.0) -> None:
        logf = tempfile.TemporaryFile()  # noqa: SIM115 (kept open while the server runs)
        self.log.append(logf)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CLI, *self.args],
            env=self.env,
            stdout=logf,
            stderr=subprocess.STDOUT,
        )
        import httpx

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.output()}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not answer /healthz: {self.output()}")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()

    def output(self) -> str:
        f = self.log[-1]
        f.seek(0)
        return f.read().decode(errors="replace")[-3000:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def real_clips(data: Path, n: int, seed: int) -> list[bytes]:
    rows = [json.loads(line) for line in (data / "manifest.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r.get("dataset") in ("librispeech", "commonvoice")]
    random.Random(seed).shuffle(rows)
    return [(data / r["path"]).read_bytes() for r in rows[:n]]


def bad_inputs(good: bytes) -> dict[str, tuple[bytes, str, dict]]:
    """name -> (body, content type, query): each must get a 4xx."""
    rng = np.random.default_rng(0)
    return {
        "garbage": (rng.bytes(5000), "audio/wav", {}),
        "empty": (b"", "audio/flac", {}),
        "truncated-header": (good[:40], "audio/flac", {}),
        "text-content-type": (good, "text/plain", {}),
        "rate-nan": (good, "audio/flac", {"rate": "nan"}),
        "rate-huge": (good, "audio/flac", {"rate": "1e308"}),
        "unknown-model": (good, "audio/flac", {"model": "gpt-9"}),
        "bad-json": (b'{"audio": 12', "application/json", {}),
    }


async def client_loop(
    http,
    base: str,
    key: str,
    clips,
    bad,
    share: float,
    deadline: float,
    out: list,
    rng: random.Random,
) -> None:
    import httpx

    headers = {"x-api-key": key}
    while time.monotonic() < deadline:
        if rng.random() < share:
            kind = rng.choice(sorted(bad))
            body, ctype, query = bad[kind]
        else:
            kind, body, ctype = "good", rng.choice(clips), "audio/flac"
            query = {"rate": rng.choice(["0.25", "0.5", "1"]), "format": "flac"}
        t0 = time.perf_counter()
        try:
            r = await http.post(
                f"{base}/v1/compress",
                params=query,
                content=body,
                headers={**headers, "content-type": ctype},
            )
            status, rid = r.status_code, r.headers.get("x-request-id")
            sec = float(r.headers.get("x-audiosqueeze-seconds-in", 0) or 0)
        except httpx.HTTPError:
            status, rid, sec = 0, None, 0.0
            await asyncio.sleep(0.2)
        out.append(Outcome(kind, status, time.perf_counter() - t0, rid, sec))


async def drive(
    base: str,
    key: str,
    clips,
    bad,
    clients: int,
    seconds: float,
    share: float,
    crash: tuple[float, Server] | None,
    seed: int,
) -> list[Outcome]:
    import httpx

    out: list[Outcome] = []
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        tasks = [
            asyncio.create_task(
                client_loop(
                    http, base, key, clips, bad, share, deadline, out, random.Random(seed + i)
                )
            )
            for i in range(clients)
        ]
        if crash is not None:
            after_s, server = crash
            await asyncio.sleep(after_s)
            server.kill9()
            print(f"killed the server with SIGKILL at {after_s:.1f} s; restarting", flush=True)
            await asyncio.to_thread(server.start)
        await asyncio.gather(*tasks)
    return out


def recorded_ids(url: str) -> set[str]:
    """Request ids with a usage record, in SQLite or PostgreSQL."""
    from sqlalchemy import create_engine, text

    from audiosqueeze.server.db import normalise_url

    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as c:
            return {r[0] for r in c.execute(text("SELECT request_id FROM usage_records"))}
    finally:
        engine.dispose()


def integrity(db_path: Path) -> str:
    with sqlite3.connect(db_path) as c:
        return c.execute("PRAGMA integrity_check").fetchone()[0]


def summarise(out: list[Outcome], seconds: float) -> dict:
    ok = [o for o in out if o.status == 200]
    lat = np.array([o.latency_s for o in ok]) * 1000 if ok else np.zeros(1)
    statuses: dict[str, int] = {}
    for o in out:
        statuses[str(o.status)] = statuses.get(str(o.status), 0) + 1
    bad_ok = sum(1 for o in out if o.kind != "good" and o.status == 200)
    return {
        "requests": len(out),
        "statuses": dict(sorted(statuses.items())),
        "server_errors_5xx": sum(1 for o in out if o.status >= 500),
        "bad_inputs_answered_200": bad_ok,
        "ok_p50_ms": round(float(np.percentile(lat, 50)), 1),
        "ok_p99_ms": round(float(np.percentile(lat, 99)), 1),
        "ok_per_s": round(len(ok) / seconds, 2),
        "requests_per_s": round(len(out) / seconds, 2),
        "audio_s_per_s": round(sum(o.seconds_in for o in ok) / seconds, 1),
    }


def run(
    clips: list[bytes],
    *,
    clients: int,
    seconds: float,
    bad_share: float = 0.1,
    crash_after: float | None = None,
    db: str | None = None,
    workers: int = 1,
    threads: int = 0,
    vad: str = "silero",
    seed: int = 0,
    data_dir: Path | None = None,
) -> dict:
    """Start a server, load it, check the records; returns the summary with its checks."""
    tmp = tempfile.TemporaryDirectory(prefix="sq-load-")
    data_dir = Path(data_dir or tmp.name)
    server, key = start_server(data_dir, db, vad=vad, workers=workers, threads=threads)
    try:
        out = asyncio.run(
            drive(
                f"http://127.0.0.1:{server.port}",
                key,
                clips,
                bad_inputs(clips[0]),
                clients,
                seconds,
                bad_share,
                (crash_after, server) if crash_after else None,
                seed,
            )
        )
    finally:
        server.stop()
    summary = summarise(out, seconds)
    summary.update(
        clients=clients,
        seconds=seconds,
        bad_share=bad_share,
        workers=workers,
        vad=vad,
        crashed=crash_after is not None,
    )
    summary.update(check_records(out, data_dir, db))
    tmp.cleanup()
    return summary


def start_server(data_dir: Path, db: str | None, **flags) -> tuple[Server, str]:
    """Create a key and start ``audiosqueeze serve`` (auth on, no rate limit, no recogniser)."""
    env = {**os.environ, "AUDIOSQUEEZE_DATA_DIR": str(data_dir)}
    env.pop("AUDIOSQUEEZE_ADMIN_KEY", None)
    common = ["--data-dir", str(data_dir)] + (["--db", db] if db else [])
    key = subprocess.run(
        [sys.executable, "-c", CLI, "keys", "create", "--name", "load", *common],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    port = free_port()
    args = ["serve", "--port", str(port), "--asr", "none", "--rate-limit", "0"]
    args += [f"--{name}={value}" for name, value in flags.items()]
    server = Server([*args, "--log-level", "warning", *common], env, port)
    server.start()
    return server, key


def check_records(out: list[Outcome], data_dir: Path, db: str | None) -> dict:
    """Every 200 has its usage record; an SQLite file passes its integrity check."""
    db_path = data_dir / "audiosqueeze.db"
    ids = recorded_ids(db or f"sqlite:///{db_path}")
    ok = [o.request_id for o in out if o.status == 200]
    checks = {"ok_without_record": sum(1 for rid in ok if rid not in ids)}
    if db is None:
        checks["integrity_check"] = integrity(db_path)
    return checks


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--clips", type=whole(1), default=40, help="distinct real clips to post")
    p.add_argument("--clients", type=whole(1), default=50)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--bad-share", type=float, default=0.1)
    p.add_argument("--crash-after", type=float, default=None)
    p.add_argument("--db", default=None, help="database URL (default: SQLite in a temp dir)")
    p.add_argument("--workers", type=whole(1), default=1)
    p.add_argument("--threads", type=whole(0), default=0)
    p.add_argument("--vad", default="silero")
    p.add_argument("--seed", type=whole(0), default=0)
    a = p.parse_args()
    if not (a.data / "manifest.jsonl").is_file():
        print(f"no data at {a.data}: pass --data DIR with manifest.jsonl", file=sys.stderr)
        return 2
    a.seconds = min(a.seconds, 600.0)  # bounded in time
    a.clients = min(a.clients, 200)  # and in concurrency
    clips = real_clips(a.data, a.clips, a.seed)
    print(
        f"{len(clips)} real clips ({sum(map(len, clips)) / 1e6:.1f} MB), {a.clients} clients, "
        f"{a.seconds:.0f} s, {a.bad_share:.0%} bad inputs",
        flush=True,
    )
    s = run(
        clips,
        clients=a.clients,
        seconds=a.seconds,
        bad_share=a.bad_share,
        crash_after=a.crash_after,
        db=a.db,
        workers=a.workers,
        threads=a.threads,
        vad=a.vad,
        seed=a.seed,
    )
    print(json.dumps(s, indent=2))
    failed = s["server_errors_5xx"] or s["bad_inputs_answered_200"] or s.get("ok_without_record")
    if s.get("integrity_check", "ok") != "ok":
        failed = True
    print("FAILED" if failed else "all checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    run_script(main)
