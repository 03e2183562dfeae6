"""Hostile manifests: every line ends as an item, a recorded failure, or one ManifestError.

Malformed JSON, missing fields, wrong types, absent or odd files and huge numbers, in every
input format (the first line picks the format, so valid first lines are mixed in).
"""

from __future__ import annotations

import copy
import gzip
import json
import math
import tempfile
from pathlib import Path

import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audiosqueeze as sq
from audiosqueeze.corpus import BadItem, CorpusOptions, Item, ManifestError, read_input, run_corpus
from audiosqueeze.corpus.work import process, safe_name
from conftest import tone

FIELDS = ["id", "path", "audio_filepath", "duration", "offset", "text", "sources", "recording",
          "start", "supervisions", "type", "channel", "source", "channels"]  # fmt: skip
ODD = ["/", ".", "..", "~nobody/x", "a" * 300, "../../etc/passwd", "/dev/zero", "MonoCut",
       "file", "x.flac", "\x00", "", "m.jsonl:2", "a#dup", "a#dup#2"]  # fmt: skip
NASTY = [math.inf, -math.inf, math.nan, 1e308, 10**40, -1, -0.0, 0, 1e7 + 1, True, None, "",
         "1.0", [], {}, [1.0], "/dev/zero", "~nobody/x", "\x00", "a" * 300,
         {"type": "file"}]  # fmt: skip
scalars = st.one_of(
    st.sampled_from(NASTY),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(ODD),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner),
    max_leaves=8,
)
records = st.dictionaries(st.sampled_from(FIELDS), values, max_size=6)
TEMPLATES = [
    {"id": "a", "path": "a.wav", "text": "x"},
    {"audio_filepath": "a.wav", "duration": 1.0, "text": "x"},
    {"audio_filepath": "a.wav", "duration": 0.5, "offset": 0.25, "text": "x"},
    {"id": "r", "sources": [{"type": "file", "channels": [0], "source": "a.wav"}],
     "sampling_rate": 16000, "num_samples": 16000, "duration": 1.0},
    {"id": "c", "start": 0.25, "duration": 0.5, "channel": 0, "type": "MonoCut",
     "supervisions": [{"id": "s", "start": -0.1, "duration": 0.9, "text": "x"}],
     "recording": {"id": "r", "sources": [{"type": "file", "source": "a.wav"}], "duration": 1}},
]  # fmt: skip


def _dicts(obj):
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from _dicts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _dicts(v)


@st.composite
def mutated(draw) -> dict:
    """A valid record of some format with up to three fields removed or replaced."""
    record = json.loads(json.dumps(draw(st.sampled_from(TEMPLATES))))
    for _ in range(draw(st.integers(0, 3))):
        target = draw(st.sampled_from(list(_dicts(record))))
        own = st.sampled_from(sorted(target)) if target else st.nothing()
        key = draw(own | st.sampled_from(FIELDS))
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            # a copy: NASTY's lists and dicts are shared, and a later step may mutate this one
            target[key] = copy.deepcopy(draw(values))
    return record


lines = st.one_of(
    mutated().map(json.dumps),
    mutated().map(json.dumps),
    records.map(json.dumps),
    values.map(json.dumps),
    st.text(max_size=30),
    st.sampled_from(['{"path": 1e999}', '{"duration": -0.0, "audio_filepath": "x"}', "[", "{}"]),
)
OPTIONS = CorpusOptions(rate=0.5, vad="energy")


def _check_items(manifest: Path) -> list | None:
    try:
        items, _ = read_input(manifest)
    except ManifestError as e:
        assert str(e)
        return None
    assert len({it.key for it in items}) == len(items)  # failures never take a real item's key
    for it in items:
        if isinstance(it, BadItem):
            assert isinstance(it.error, str) and it.error
            continue
        assert isinstance(it, Item) and isinstance(it.key, str) and isinstance(it.source, str)
        assert math.isfinite(it.offset_s) and it.offset_s >= 0
        assert it.duration_s is None or (math.isfinite(it.duration_s) and it.duration_s > 0)
    return items


def _check_outcome(manifest: Path, out: Path) -> None:
    items = _check_items(manifest)
    if items is None:
        return
    summary = run_corpus(manifest, out, OPTIONS, jobs=1)
    assert summary.items == len(items) == summary.ok + summary.failed
    assert all(isinstance(f["error"], str) and f["error"] for f in summary.failures)


def test_failure_keys_never_take_a_real_items_key(tmp_path):
    sf.write(tmp_path / "a.wav", tone(1.0), 16000)
    rows = [
        {"id": "m.jsonl:2", "path": "a.wav"},  # the key line 2's failure would get
        "{broken",
        {"id": "a", "path": "a.wav"},
        {"id": "a", "path": "a.wav"},  # a repeat: its failure would be "a#dup"
        {"id": "a#dup", "path": "a.wav"},
        {"id": "a#dup#2", "path": "a.wav"},
    ]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows))
    items, _ = read_input(manifest)
    assert [(type(it).__name__, it.key) for it in items] == [
        ("Item", "m.jsonl:2"),
        ("BadItem", "m.jsonl:2#2"),
        ("Item", "a"),
        ("BadItem", "a#dup#3"),
        ("Item", "a#dup"),
        ("Item", "a#dup#2"),
    ]
    summary = run_corpus(manifest, tmp_path / "out", OPTIONS, jobs=1)
    assert (summary.ok, summary.failed) == (4, 2)
    log = (tmp_path / "out" / "records.jsonl").read_text().splitlines()
    status = {r["key"]: r["status"] for r in map(json.loads, log)}
    assert len(log) == len(status) == 6  # one record each: none written over another
    assert status == {"m.jsonl:2": "ok", "m.jsonl:2#2": "failed", "a": "ok", "a#dup#3": "failed",
                      "a#dup": "ok", "a#dup#2": "ok"}  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.lists(lines, max_size=6), gz=st.booleans())
def test_fuzzed_manifest_lines(body, gz):
    text = "\n".join(body) + "\n"
    with tempfile.TemporaryDirectory() as d:
        sf.write(Path(d) / "a.wav", tone(1.0), 16000)  # a real file some lines point to
        manifest = Path(d) / ("m.jsonl.gz" if gz else "m.jsonl")
        if gz:
            with gzip.open(manifest, "wt", encoding="utf-8", errors="surrogatepass") as f:
                f.write(text)
        else:
            manifest.write_text(text, encoding="utf-8", errors="surrogatepass")
        _check_outcome(manifest, Path(d) / "out")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=300), name=st.sampled_from(["m.jsonl", "m.jsonl.gz", "m.json"]))
def test_fuzzed_manifest_bytes(data, name):
    with tempfile.TemporaryDirectory() as d:
        manifest = Path(d) / name
        manifest.write_bytes(data)
        _check_outcome(manifest, Path(d) / "out")


def test_errors_are_audiosqueeze_errors():
    assert issubclass(ManifestError, sq.AudiosqueezeError)


def _paths(obj, prefix=()):
    """Every (container path, key) of a record, nested dicts and lists included."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix, k
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


def test_every_single_field_removed_or_replaced(tmp_path):
    """Exhaustive single mutations of each format's fields with each nasty value."""
    sf.write(tmp_path / "a.wav", tone(1.0), 16000)
    (tmp_path / "audio").mkdir()
    (tmp_path / "timemaps").mkdir()
    manifest, outcomes = tmp_path / "m.jsonl", {"ok": 0, "failed": 0, "bad": 0}
    for template in TEMPLATES:
        for path, key in list(_paths(template)):
            for value in [...] + NASTY:  # ... = remove the field
                record = json.loads(json.dumps(template))
                target = record
                for step in path:
                    target = target[step]
                if value is ...:
                    del target[key]
                else:
                    target[key] = value
                manifest.write_text(json.dumps(record) + "\n")
                for it in _check_items(manifest) or []:
                    if isinstance(it, BadItem):
                        outcomes["bad"] += 1
                        continue
                    r = process(it, safe_name(it.key), str(tmp_path), OPTIONS)
                    assert r["status"] == "ok" or r["error"], r
                    outcomes[r["status"]] += 1
    assert all(outcomes.values()), outcomes  # each kind of outcome happened
