"""Order and repetition do not matter to the ledger: ingesting any sequence of batches
stores exactly what ingesting their union once stores."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ambassadors.models import Activity
from ambassadors.services.ledger import _fast, _past_cutoff, _validate, activities_ingest
from tests.factories import AgentFactory

_counter = itertools.count()

# A pool of items: a few valid, one per kind of rejection. An external id always carries the
# same content, as a source re-sending an activity does.
POOL_SIZE = 8


def pool(hr_ids: list[str]) -> list[dict]:
    items = []
    for n in range(POOL_SIZE):
        items.append(
            {
                "external_id": f"e{n}",
                "verb": ["news_published", "comment_posted", "first_login"][n % 3],
                "agent": hr_ids[n % len(hr_ids)],
                "occurred_at": f"2026-02-{n + 1:02d}T08:00:00+01:00",
                "object": {"type": "news", "title": f"Titre {n}", "url": f"https://i.fr/{n}"},
            }
        )
    items.append({**items[0], "external_id": "bad-verb", "verb": "nope"})
    items.append({**items[1], "external_id": "bad-agent", "agent": "UNKNOWN"})
    items.append({**items[2], "external_id": "naive", "occurred_at": "2026-02-01T08:00:00"})
    return items


def stored(source_code: str) -> set[tuple]:
    return set(
        Activity.objects.filter(source__code=source_code).values_list(
            "external_id", "verb__code", "agent_id", "occurred_at", "object_title", "object_url"
        )
    )


@pytest.fixture
def hr_ids(organization, tree):
    return [AgentFactory(organization=organization, unit=tree.voirie).hr_id for _ in range(3)]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    batches=st.lists(
        st.lists(st.integers(min_value=0, max_value=POOL_SIZE + 2), max_size=12), max_size=6
    )
)
def test_any_sequence_of_batches_stores_what_their_union_stores_once(organization, hr_ids, batches):
    items = pool(hr_ids)
    run = next(_counter)
    replayed, once = f"replayed-{run}", f"once-{run}"
    counts = {"accepted": 0}

    for batch in batches:
        report = activities_ingest(
            organization=organization, items=[items[i] for i in batch], source_code=replayed
        )
        counts["accepted"] += report.accepted
        assert report.accepted + report.duplicates + report.rejected == len(batch)
    union = sorted({i for batch in batches for i in batch})
    union_report = activities_ingest(
        organization=organization, items=[items[i] for i in union], source_code=once
    )
    # Replaying everything again changes nothing.
    for batch in reversed(batches):
        assert (
            activities_ingest(
                organization=organization, items=[items[i] for i in batch], source_code=replayed
            ).accepted
            == 0
        )

    assert stored(replayed) == stored(once)
    assert counts["accepted"] == union_report.accepted == len(stored(once))
    assert {row[0] for row in stored(once)} == {
        items[i]["external_id"] for i in union if i < POOL_SIZE
    }


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.text(max_size=5),
    st.sampled_from(["", " ", "news_published", "M1", "x" * 201, "2026-02-01T08:00:00+01:00"]),
    st.sampled_from(["2026-02-01T08:00:00", "2099-01-01T00:00:00Z", "https://i.fr/a", "ftp://x"]),
    # Around the fast path's text cutoff (two days before ``latest``, 2026-06-01T00:00Z).
    st.sampled_from(
        [
            "2026-05-29T23:59:59-23:59",
            "2026-05-30T12:00:00-12:00",
            "2026-05-31T23:59:00-00:10",
            "2026-06-01T00:04:00+00:00",
            "2026-06-01T00:06:00Z",
            "20260601T000600+0000",
            "2026-W22-1T00:06:00Z",
        ]
    ),
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "external_id": scalars,
        "verb": scalars,
        "agent": scalars,
        "agent_email": scalars,
        "occurred_at": scalars,
        "object": st.one_of(
            scalars,
            st.fixed_dictionaries({}, optional={"type": scalars, "title": scalars, "url": scalars}),
        ),
    },
)


VALID = {
    "external_id": " e1 ",
    "verb": "news_published",
    "agent": "M1",
    "occurred_at": "2026-02-01T08:00:00+01:00",
    "object": {"type": "news", "title": "Titre", "url": "https://i.fr/a"},
}


@settings(max_examples=500, deadline=None)
@given(item=st.one_of(fields, scalars))
@example(item=VALID)
@example(item={**VALID, "agent": None, "agent_email": " Camille@Ville.FR "})
def test_the_fast_path_agrees_with_the_full_validation(item):
    verbs = {"news_published": (1, True), "comment_posted": (2, False)}
    latest = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)

    fast = _fast(0, item, verbs, latest, _past_cutoff(latest))

    assert _fast(0, item, verbs, latest) == fast
    if fast is not None:
        assert _validate(0, item, verbs, latest) == fast
    if item in (VALID,):
        assert fast is not None
