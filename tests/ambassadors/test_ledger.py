"""Ingestion into the activity ledger: per-item reports, idempotency, retractions, the hook."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from ambassadors.errors import DomainError
from ambassadors.models import Activity, ActivityRetraction, ActivitySource, Verb
from ambassadors.services import ledger
from ambassadors.services.ledger import (
    activities_ingest,
    activities_retract,
    activity_source_resolve,
)
from ambassadors.signals import activities_recorded, activities_retracted
from tests.factories import AgentFactory
from tests.queries import ledger_insert_extra

WHEN = "2026-03-02T09:30:00+01:00"


pytestmark = pytest.mark.usefixtures("in_english")


def item(external_id="news-1", verb="news_published", agent=None, **extra):
    body = {
        "external_id": external_id,
        "verb": verb,
        "occurred_at": WHEN,
        "object": {
            "type": "news",
            "title": "Le marché de Noël ouvre samedi",
            "url": "https://intranet.ville-a.fr/actualites/marche-de-noel",
        },
    }
    if agent is not None:
        body["agent"] = agent
    body.update(extra)
    return body


@pytest.fixture
def recorded():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    activities_recorded.connect(receiver)
    yield calls
    activities_recorded.disconnect(receiver)


def test_it_stores_a_valid_activity_with_unit_and_site_at_the_time(organization, field_agent):
    report = activities_ingest(organization=organization, items=[item(agent=field_agent.hr_id)])

    assert report.as_dict() == {
        "accepted": 1,
        "duplicates": 0,
        "rejected": 0,
        "results": [{"index": 0, "status": "accepted", "errors": {}}],
    }
    activity = Activity.objects.get()
    assert activity.agent == field_agent
    assert activity.unit_id == field_agent.unit_id
    assert activity.site_id == field_agent.site_id
    assert activity.verb.code == "news_published"
    assert activity.source.code == "intranet"
    assert activity.occurred_at == dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)
    assert activity.object_title == "Le marché de Noël ouvre samedi"
    assert activity.organization_id == organization.pk
    assert activity.retracted_at is None


def test_it_keeps_good_items_and_reports_each_bad_one_by_field(organization, agent):
    items = [
        item("ok-1", agent=agent.hr_id),
        item("bad-verb", verb="news_liked", agent=agent.hr_id),
        item("bad-agent", agent="NOPE"),
        item("naive", agent=agent.hr_id, occurred_at="2026-03-02T09:30:00"),
        item("bad-date", agent=agent.hr_id, occurred_at="le 2 mars"),
        {k: v for k, v in item(agent=agent.hr_id).items() if k != "external_id"},
        item("long", agent=agent.hr_id, object={"title": "x" * 201}),
        item("ok-2", agent_email=agent.email.upper() if agent.email else None),
        "not an object",
        item("no-agent"),
        item("future", agent=agent.hr_id, occurred_at="2099-01-01T00:00:00Z"),
        item("bad-url", agent=agent.hr_id, object={"url": "javascript:alert(1)"}),
    ]
    report = activities_ingest(organization=organization, items=items)

    statuses = [result["status"] for result in report.results]
    errors = [result["errors"] for result in report.results]
    assert [result["index"] for result in report.results] == list(range(len(items)))
    assert statuses[0] == "accepted"
    assert "Unknown verb “news_liked”." in errors[1]["verb"]
    assert "Unknown agent (HR id “NOPE”)." in errors[2]["agent"]
    assert "no UTC offset" in errors[3]["occurred_at"][0]
    assert "not an ISO 8601 date" in errors[4]["occurred_at"][0]
    assert list(errors[5]) == ["external_id"]
    assert "too long (201 characters, 200 at most)" in errors[6]["object.title"][0]
    assert list(errors[8]) == ["non_field_errors"]
    assert list(errors[9]) == ["agent"]
    assert "in the future" in errors[10]["occurred_at"][0]
    assert list(errors[11]) == ["object.url"]
    expected_ok = {"ok-1"} | ({"ok-2"} if agent.email else set())
    assert set(Activity.objects.values_list("external_id", flat=True)) == expected_ok
    assert report.accepted == len(expected_ok)
    assert report.rejected == len(items) - len(expected_ok)


def test_it_finds_an_agent_by_email_regardless_of_case(organization, agent):
    agent.email = "Camille.Agent@Ville-A.fr"
    agent.save()

    report = activities_ingest(
        organization=organization, items=[item(agent_email="camille.agent@ville-a.FR")]
    )

    assert report.accepted == 1
    assert Activity.objects.get().agent == agent


def test_it_rejects_an_email_shared_by_two_agents(organization, tree):
    for _ in range(2):
        AgentFactory(organization=organization, email="accueil@ville-a.fr")

    report = activities_ingest(
        organization=organization, items=[item(agent_email="accueil@ville-a.fr")]
    )

    assert report.rejected == 1
    assert "Several agents share" in report.results[0]["errors"]["agent_email"][0]


def test_resending_an_activity_is_a_duplicate_and_adds_no_row(organization, agent):
    activities_ingest(organization=organization, items=[item(agent=agent.hr_id)])

    report = activities_ingest(
        organization=organization,
        items=[item(agent=agent.hr_id, object={"title": "Titre modifié"})],
    )

    assert (report.accepted, report.duplicates, report.rejected) == (0, 1, 0)
    assert report.results[0] == {"index": 0, "status": "duplicate", "errors": {}}
    assert Activity.objects.get().object_title == "Le marché de Noël ouvre samedi"


def test_an_item_already_stored_is_a_duplicate_even_if_it_would_now_be_rejected(
    organization, agent
):
    activities_ingest(organization=organization, items=[item(agent=agent.hr_id)])

    report = activities_ingest(
        organization=organization, items=[item(verb="unknown", agent="NOPE")]
    )

    assert report.results == [{"index": 0, "status": "duplicate", "errors": {}}]
    assert Activity.objects.get().verb.code == "news_published"


def test_in_a_large_batch_a_stored_item_missed_by_the_probe_is_still_a_duplicate(
    organization, agent
):
    # 100 items: the probe looks at 32 of them, spread over the batch (0, 3, 6, ...).
    activities_ingest(organization=organization, items=[item("n-1", agent=agent.hr_id)])
    assert 1 not in {int(i * 100 / ledger._PROBE) for i in range(ledger._PROBE)}
    items = [item(f"n-{i}", agent=agent.hr_id) for i in range(100)]
    items[1] = item("n-1", verb="unknown", agent="NOPE")  # stored, and would be rejected now
    items[2] = item("n-2", verb="unknown", agent=agent.hr_id)  # new and rejected

    report = activities_ingest(organization=organization, items=items)

    assert report.results[1] == {"index": 1, "status": "duplicate", "errors": {}}
    assert report.results[2]["status"] == "rejected"
    assert (report.accepted, report.duplicates, report.rejected) == (98, 1, 1)
    assert Activity.objects.count() == 99


def test_in_a_large_batch_a_stored_valid_item_missed_by_the_probe_is_a_duplicate(
    organization, agent
):
    activities_ingest(organization=organization, items=[item("n-1", agent=agent.hr_id)])
    items = [item(f"n-{i}", agent=agent.hr_id) for i in range(100)]

    report = activities_ingest(organization=organization, items=items)

    assert report.results[1] == {"index": 1, "status": "duplicate", "errors": {}}
    assert (report.accepted, report.duplicates, report.rejected) == (99, 1, 0)


def test_an_item_stored_by_another_request_meanwhile_is_a_duplicate(
    organization, agent, monkeypatch
):
    lookup = ledger._agents

    def racing(*args, **kwargs):
        # Between the lookup of stored ids and the insert, another request stores news-1.
        monkeypatch.setattr(ledger, "_agents", lookup)
        activities_ingest(organization=organization, items=[item("news-1", agent=agent.hr_id)])
        return lookup(*args, **kwargs)

    monkeypatch.setattr(ledger, "_agents", racing)
    report = activities_ingest(
        organization=organization,
        items=[item("news-1", agent=agent.hr_id), item("news-2", agent=agent.hr_id)],
    )

    assert [r["status"] for r in report.results] == ["duplicate", "accepted"]
    assert Activity.objects.count() == 2


def test_a_replayed_large_batch_is_all_duplicates_without_an_insert(
    organization, agent, django_assert_num_queries
):
    items = [item(f"n-{i}", agent=agent.hr_id) for i in range(100)]
    activities_ingest(organization=organization, items=items)

    # source, verbs, the probe, every stored id; no agents, no insert (savepoint, release)
    with django_assert_num_queries(6):
        report = activities_ingest(organization=organization, items=items)

    assert report.duplicates == 100
    assert Activity.objects.count() == 100


def test_a_repeat_inside_one_batch_is_a_duplicate(organization, agent):
    report = activities_ingest(
        organization=organization,
        items=[item("a", agent=agent.hr_id), item("a", agent=agent.hr_id)],
    )

    assert [r["status"] for r in report.results] == ["accepted", "duplicate"]
    assert Activity.objects.count() == 1


def test_the_same_external_id_from_two_sources_is_two_activities(organization, agent):
    activities_ingest(organization=organization, items=[item(agent=agent.hr_id)])
    report = activities_ingest(
        organization=organization, items=[item(agent=agent.hr_id)], source_code="csv"
    )

    assert report.accepted == 1
    assert Activity.objects.count() == 2


def test_an_other_organizations_agents_are_unknown_here(organization, agent, outsider):
    report = activities_ingest(organization=organization, items=[item(agent=outsider.hr_id)])

    assert report.results[0]["errors"] == {"agent": [f"Unknown agent (HR id “{outsider.hr_id}”)."]}
    assert not Activity.objects.exists()


def test_a_disabled_verb_is_rejected(organization, agent):
    Verb.objects.for_org(organization).filter(code="comment_posted").update(is_active=False)

    report = activities_ingest(
        organization=organization, items=[item(verb="comment_posted", agent=agent.hr_id)]
    )

    assert "disabled" in report.results[0]["errors"]["verb"][0]


def test_an_organization_extends_its_catalogue_with_its_own_verb(organization, agent):
    Verb.objects.create(
        organization=organization, code="idea_submitted", category="community", label="Idée"
    )

    report = activities_ingest(
        organization=organization, items=[item(verb="idea_submitted", agent=agent.hr_id)]
    )

    assert report.accepted == 1


@pytest.mark.parametrize("count", [1, 20])
def test_it_ingests_a_batch_in_a_constant_number_of_queries(
    organization, tree, count, django_assert_num_queries
):
    agents = AgentFactory.create_batch(count, organization=organization, unit=tree.voirie)
    ActivitySource.objects.create(organization=organization, code="intranet", name="Intranet")
    items = [item(f"n-{i}", agent=a.hr_id) for i, a in enumerate(agents)]

    # savepoint, source, verbs, already stored, agents, insert, release; on PostgreSQL the
    # insert is two statements (the staging table, then INSERT ... SELECT; the COPY between
    # them goes through the driver's copy protocol, which Django does not count).
    with django_assert_num_queries(7 + ledger_insert_extra()):
        report = activities_ingest(organization=organization, items=items)

    assert report.accepted == count


def test_the_hook_fires_once_after_commit_with_agents_verbs_and_their_span(
    organization, agent, ambassador, recorded, django_capture_on_commit_callbacks
):
    earlier = "2026-01-14T17:45:00+01:00"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        activities_ingest(
            organization=organization,
            items=[
                item("a", agent=agent.hr_id),
                item("b", verb="coaching_given", agent=ambassador.hr_id, occurred_at=earlier),
                item("c", agent=agent.hr_id),
            ],
        )
        assert recorded == []

    assert len(callbacks) == 1
    assert recorded == [
        {
            "organization_id": organization.pk,
            "agent_ids": frozenset({agent.pk, ambassador.pk}),
            "verb_codes": frozenset({"news_published", "coaching_given"}),
            "occurred_between": (
                dt.datetime.fromisoformat(earlier),
                dt.datetime.fromisoformat(WHEN),
            ),
            "signal": activities_recorded,
        }
    ]


def test_the_hook_does_not_fire_on_rollback(
    organization, agent, recorded, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        activities_ingest(organization=organization, items=[item(agent=agent.hr_id)])
        raise RuntimeError("rolled back")

    assert callbacks == []
    assert recorded == []
    assert not Activity.objects.exists()


def test_the_hook_does_not_fire_when_nothing_new_was_stored(
    organization, agent, recorded, django_capture_on_commit_callbacks
):
    activities_ingest(organization=organization, items=[item(agent=agent.hr_id)])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        activities_ingest(organization=organization, items=[item(agent=agent.hr_id)])

    assert callbacks == []


def test_a_retraction_is_set_once_and_reported_per_id(organization, agent):
    activities_ingest(
        organization=organization,
        items=[item("a", agent=agent.hr_id), item("b", agent=agent.hr_id)],
    )
    first = activities_retract(
        organization=organization, external_ids=["a", "zzz", ""], reason="Dépubliée"
    )
    stamped = Activity.objects.get(external_id="a").retracted_at

    again = activities_retract(organization=organization, external_ids=["a"], reason="Autre")

    assert [r["status"] for r in first.results] == ["retracted", "not_found", "rejected"]
    assert again.results[0]["status"] == "already_retracted"
    activity = Activity.objects.get(external_id="a")
    assert activity.retracted_at == stamped is not None
    assert activity.retraction.reason == "Dépubliée"
    assert ActivityRetraction.objects.count() == 1
    assert Activity.objects.get(external_id="b").retracted_at is None


def test_a_retraction_fires_its_hook_after_commit(
    organization, agent, django_capture_on_commit_callbacks
):
    calls = []
    activities_retracted.connect(receiver := lambda sender, **kw: calls.append(kw))
    try:
        activities_ingest(organization=organization, items=[item(agent=agent.hr_id)])
        with django_capture_on_commit_callbacks(execute=True):
            activities_retract(organization=organization, external_ids=["news-1"])
    finally:
        activities_retracted.disconnect(receiver)

    assert [(c["agent_ids"], c["verb_codes"]) for c in calls] == [
        (frozenset({agent.pk}), frozenset({"news_published"}))
    ]


def test_a_retraction_cannot_touch_another_organizations_activity(
    organization, other_organization, agent, outsider
):
    activities_ingest(organization=other_organization, items=[item(agent=outsider.hr_id)])

    report = activities_retract(organization=organization, external_ids=["news-1"])

    assert report.results[0]["status"] == "not_found"
    assert Activity.objects.get().retracted_at is None


def test_a_new_source_is_created_on_first_use(organization):
    source = activity_source_resolve(organization=organization, code="sharepoint")

    assert source.organization == organization
    assert ActivitySource.objects.for_org(organization).filter(code="sharepoint").exists()


def test_a_new_source_is_refused_once_the_organization_signs_its_requests(organization):
    ActivitySource.objects.create(
        organization=organization, code="intranet", name="Intranet", signing_secret="s3cret"
    )

    with pytest.raises(DomainError) as raised:
        activity_source_resolve(organization=organization, code="sharepoint")

    assert raised.value.code == "unknown_source"
    assert not ActivitySource.objects.filter(code="sharepoint").exists()


def test_an_invalid_source_code_is_refused(organization):
    with pytest.raises(DomainError) as raised:
        activity_source_resolve(organization=organization, code="mon intranet")

    assert raised.value.code == "invalid_source"
