"""Known answers for the dashboard's numbers: usage records planted with known seconds and
tokens, and the totals, days, models and keys each view must add up to (savings only from
requests under 400; each key sees only its own; the admin sees everyone)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy.orm import Session

from audiosqueeze.server import dashboard_data as data
from audiosqueeze.server.db import UsageRecord, utcnow
from audiosqueeze.server.keys import create_key

_ids = itertools.count()


def rec(key_id, status, s_in, s_out, t_before, t_after, model, *, days_ago=0, endpoint=None):
    now = utcnow()
    return UsageRecord(
        request_id=f"r{next(_ids)}",
        created_at=now,
        day=(now - dt.timedelta(days=days_ago)).date(),
        key_id=key_id,
        principal="p",
        endpoint=endpoint or "/v1/compress",
        model=model,
        seconds_in=s_in,
        seconds_out=s_out,
        tokens_before=t_before,
        tokens_after=t_after,
        status=status,
        latency_ms=1.0,
    )


@pytest.fixture
def planted(engine):
    a, _ = create_key(engine, "a")
    b, _ = create_key(engine, "b")
    c, _ = create_key(engine, "c")  # never used
    rows = [
        rec(a.id, 200, 10.0, 4.0, 100, 40, "gemini"),
        rec(a.id, 422, 5.0, None, None, None, "gemini"),
        rec(a.id, 303, 2.0, 1.5, 20, 15, "whisper-unpadded", endpoint="/dashboard/compress"),
        rec(a.id, 200, 6.0, 3.0, 60, 30, "gemini", days_ago=3),
        rec(a.id, 200, 100.0, 50.0, 600, 300, "gemini", days_ago=40),
        rec(a.id, 400, 3.0, 1.0, 30, 10, "gemini"),  # a failure's numbers are not savings
        rec(b.id, 200, 8.0, 2.0, 80, 20, "voxtral"),
        rec(b.id, 500, None, None, None, None, "broken"),
        rec(None, 200, 1.0, 0.5, 10, 5, None),  # the admin, no model
    ]
    with Session(engine) as s, s.begin():
        s.add_all(rows)
    return engine, a.id, b.id, c.id


def test_totals_count_every_request_but_save_only_from_successes(planted):
    engine, a, b, _ = planted
    assert data.totals(engine, a, False) == data.Totals(6, 4, 118.0, 58.5, 780, 385)
    assert data.totals(engine, b, False) == data.Totals(2, 1, 8.0, 2.0, 80, 20)
    assert data.totals(engine, None, False) == data.Totals(1, 1, 1.0, 0.5, 10, 5)
    everyone = data.totals(engine, a, True)
    assert everyone == data.Totals(9, 6, 127.0, 61.0, 870, 410)
    assert (everyone.seconds_saved, everyone.tokens_saved) == (66.0, 460)


def test_totals_of_a_key_with_no_requests_are_zero(planted):
    engine, _, _, c = planted
    assert data.totals(engine, c, False) == data.Totals(0, 0, 0.0, 0.0, 0, 0)


def test_per_day_sums_each_days_savings_over_the_last_30_days(planted):
    engine, a, _, _ = planted
    today = utcnow().date()
    epoch = dt.date(1970, 1, 1)
    assert data.per_day(engine, a, False) == {
        "day": [(today - epoch).days * 86400 - 3 * 86400, (today - epoch).days * 86400],
        "seconds_saved": [3.0, 6.5],
        "tokens_saved": [30, 65],
    }
    assert data.per_day(engine, a, False, days=60)["seconds_saved"] == [50.0, 3.0, 6.5]
    assert data.per_day(engine, a, True)["tokens_saved"] == [30, 65 + 60 + 5]


def test_by_model_groups_per_endpoint_and_model(planted):
    engine, a, b, _ = planted
    assert data.by_model(engine, a, False) == [
        {
            "endpoint": "/dashboard/compress",
            "model": "whisper-unpadded",
            "requests": 1,
            "seconds_in": 2.0,
            "seconds_saved": 0.5,
            "reduction": 0.25,
            "tokens_saved": 5,
        },
        {
            "endpoint": "/v1/compress",
            "model": "gemini",
            "requests": 5,
            "seconds_in": 116.0,
            "seconds_saved": 59.0,
            "reduction": pytest.approx(59.0 / 116.0),
            "tokens_saved": 390,
        },
    ]
    got = data.by_model(engine, b, False)
    assert [(m["model"], m["requests"], m["reduction"], m["tokens_saved"]) for m in got] == [
        ("broken", 1, 0.0, 0),  # nothing succeeded: no reduction, not a division by zero
        ("voxtral", 1, 0.75, 60),
    ]
    assert [m["model"] for m in data.by_model(engine, a, True)] == [
        "whisper-unpadded",
        "broken",
        "gemini",
        "voxtral",
    ]


def test_recent_is_the_newest_first_of_ones_own(planted):
    engine, a, b, _ = planted
    assert [r.status for r in data.recent(engine, a, False, limit=3)] == [400, 200, 200]
    assert [r.status for r in data.recent(engine, b, False)] == [500, 200]
    assert len(data.recent(engine, a, True)) == 9


def test_keys_with_usage_lists_every_key_with_its_own_numbers(planted):
    engine, a, b, c = planted
    got = [(k["key"].id, k["requests"], k["seconds_saved"]) for k in data.keys_with_usage(engine)]
    assert got == [(a, 6, 59.5), (b, 2, 6.0), (c, 0, 0.0)]


def test_the_last_status_under_400_saves_and_400_does_not(engine):
    d, _ = create_key(engine, "d")
    with Session(engine) as s, s.begin():
        s.add_all([rec(d.id, 399, 4.0, 1.0, 40, 10, "m"), rec(d.id, 400, 2.0, 1.0, 20, 10, "m")])
    assert data.totals(engine, d.id, False) == data.Totals(2, 1, 4.0, 1.0, 40, 10)
    (m,) = data.by_model(engine, d.id, False)
    assert (m["requests"], m["seconds_in"], m["seconds_saved"]) == (2, 4.0, 3.0)


def test_the_chart_rounds_to_milliseconds_and_drops_days_past_its_window(engine):
    d, _ = create_key(engine, "d")
    with Session(engine) as s, s.begin():
        s.add_all(
            [
                rec(d.id, 200, 1.0, 0.12345, 10, 9, "m"),
                rec(d.id, 200, 2.0, 1.0, 10, 9, "m", days_ago=29),
                rec(d.id, 200, 2.0, 1.0, 10, 9, "m", days_ago=31),
            ]
        )
    chart = data.per_day(engine, d.id, False)
    assert chart["seconds_saved"] == [1.0, 0.877] and chart["tokens_saved"] == [1, 1]


def test_totals_are_immutable():
    with pytest.raises(AttributeError):
        data.Totals(1, 1, 1.0, 1.0, 1, 1).requests = 2  # type: ignore[misc]
