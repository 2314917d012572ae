"""Create, edit, activate, discard, retire: the services behind the catalogue's pages.

See the package's docstring for the lifecycle and the errors raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from ambassadors.errors import DomainError, NotFound, PermissionDenied
from ambassadors.models import Organization
from ambassadors.permissions import Action, Actor
from badges.models import Badge, BadgeStatus, BadgeVersion

from .validation import (
    RULE_FIELDS,
    CleanRule,
    Errors,
    clean_presentation,
    clean_rule,
    generated_criteria,
    refresh_criteria,
)

BACKFILL_TASK = "badges.tasks.badge_backfill_task"


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _check_actor(actor: Actor, organization_id: int) -> None:
    if actor.organization.pk != organization_id:
        raise NotFound(_("No such badge."), code="not_found")
    if not actor.can(Action.MANAGE_PROGRAMME):
        raise PermissionDenied(
            _("Only the communication team can manage badges."), code="permission_denied"
        )


def _next_number(badge: Badge) -> int:
    # Discarded drafts keep their number: a new draft takes the next free one.
    highest = BadgeVersion.objects.filter(badge=badge).aggregate(n=Max("number"))["n"]
    return max(highest or 0, badge.version) + 1


# -- Create and edit ----------------------------------------------------------------------


@transaction.atomic
def badge_create(*, organization: Organization, data: Mapping[str, Any], actor: Actor) -> Badge:
    """A new badge, as a draft: its rule is version 1, not evaluated until activated.

    ``data``: ``code`` (a slug; from ``name_fr`` when left out), ``name_fr``, ``name_en``,
    ``description_fr``/``_en``, ``criteria_fr``/``_en`` (generated from the rule when left
    blank), ``category``, ``image`` (an uploaded file), ``position``, and the rule: ``kind``,
    ``params``, ``tiers``, ``revocable``; optionally ``note`` (what this version is about).
    """
    _check_actor(actor, organization.pk)
    errors: Errors = {}
    presentation = clean_presentation(data, errors, creating=True)
    code = data.get("code")
    if code is None or (isinstance(code, str) and not code.strip()):
        code = slugify(presentation.get("name_fr", ""))[:60]
    if not isinstance(code, str):
        errors["code"] = [_("Enter a code (letters, digits, hyphens).")]
        code = ""
    code = code.strip()
    try:
        validate_slug(code)
    except ValidationError:
        errors["code"] = [_("Enter a code of lowercase letters, digits and hyphens.")]
    else:
        if len(code) > 60:
            errors["code"] = [_("At most 60 characters.")]
        elif code != code.lower():
            errors["code"] = [_("Enter a code of lowercase letters, digits and hyphens.")]
        elif Badge.objects.for_org(organization).filter(code=code).exists():
            errors["code"] = [_("A badge with this code already exists.")]
    rule = clean_rule(
        organization,
        kind=data.get("kind"),
        params=data.get("params", {}),
        tiers=data.get("tiers"),
        revocable=data.get("revocable", False),
        code=code,
        errors=errors,
    )
    _raise(errors)
    assert rule is not None
    badge = Badge(
        organization=organization,
        code=code,
        status=BadgeStatus.DRAFT,
        version=1,
        kind=rule.kind,
        params=rule.params,
        tiers=rule.tiers,
        revocable=rule.revocable,
        **presentation,
    )
    refresh_criteria(badge, {}, rule)
    try:
        with transaction.atomic():
            badge.save()
    except IntegrityError:
        # Another request took the code between the check and the insert.
        raise ValidationError({"code": [_("A badge with this code already exists.")]}) from None
    BadgeVersion.objects.create(
        organization=organization,
        badge=badge,
        number=1,
        status=BadgeVersion.Status.DRAFT,
        kind=rule.kind,
        params=rule.params,
        tiers=rule.tiers,
        revocable=rule.revocable,
        note=str(data.get("note") or "")[:300],
        created_by=actor.agent,
    )
    return badge


@transaction.atomic
def badge_update(*, badge: Badge, data: Mapping[str, Any], actor: Actor) -> BadgeVersion | None:
    """Edit a badge; return the draft version when this edit changed its rule, else None.

    Presentation fields change in place. The rule (``kind``, ``params``, ``tiers``,
    ``revocable``, any subset; the rest is taken from the pending draft, else from the
    badge):

    - on a draft badge, changes in place (with its version 1);
    - on an active badge, creates or updates its one draft version (the live rule does not
      move until ``badge_version_activate``); the pending rule sent back unchanged writes
      nothing (but a new ``note``); a rule edited back to the live one discards the draft;
    - on a retired badge, cannot change.
    """
    _check_actor(actor, badge.organization_id)
    # Two editors of one badge take turns: the one-draft rule is decided under this lock.
    badge = Badge.objects.select_for_update().select_related("organization").get(pk=badge.pk)
    organization = badge.organization
    errors: Errors = {}
    if "code" in data and data["code"] != badge.code:
        errors["code"] = [_("A badge’s code does not change (other badges and links use it).")]
    presentation = clean_presentation(data, errors, creating=False)
    draft = (
        BadgeVersion.objects.for_org(organization)
        .filter(badge=badge, status=BadgeVersion.Status.DRAFT)
        .first()
    )
    rule_edit = any(name in data for name in RULE_FIELDS)
    rule: CleanRule | None = None
    if rule_edit:
        base: Badge | BadgeVersion = (
            draft if draft is not None and badge.status == BadgeStatus.ACTIVE else badge
        )
        rule = clean_rule(
            organization,
            code=badge.code,
            errors=errors,
            **{name: data.get(name, getattr(base, name)) for name in RULE_FIELDS},
        )
        if rule is not None and badge.status == BadgeStatus.RETIRED and not rule.same_as(badge):
            errors[NON_FIELD_ERRORS] = [_("A retired badge’s rule cannot change.")]
    _raise(errors)

    old_criteria = generated_criteria(badge)
    for name, value in presentation.items():
        setattr(badge, name, value)
    written: BadgeVersion | None = None
    if rule is not None and badge.status == BadgeStatus.DRAFT:
        for name in RULE_FIELDS:
            setattr(badge, name, getattr(rule, name))
        refresh_criteria(badge, old_criteria, rule)
        fields: dict[str, Any] = {
            "organization": organization,
            "status": BadgeVersion.Status.DRAFT,
            "kind": rule.kind,
            "params": rule.params,
            "tiers": rule.tiers,
            "revocable": rule.revocable,
            "created_by": actor.agent,
        }
        if "note" in data:
            fields["note"] = str(data["note"] or "")[:300]
        BadgeVersion.objects.update_or_create(badge=badge, number=badge.version, defaults=fields)
    elif rule is not None and badge.status == BadgeStatus.ACTIVE:
        note = str(data.get("note") or "").strip()[:300]
        if rule.same_as(badge):
            if draft is not None:
                draft.status = BadgeVersion.Status.DISCARDED
                draft.save(update_fields=["status"])
        elif draft is not None and rule.same_as(draft):
            # The form sends the pending rule back with every save: nothing new in it.
            if note and note != draft.note:
                draft.note = note
                draft.save(update_fields=["note"])
        else:
            written = draft or BadgeVersion(
                organization=organization,
                badge=badge,
                number=_next_number(badge),
                status=BadgeVersion.Status.DRAFT,
            )
            written.kind = rule.kind
            written.params = rule.params
            written.tiers = rule.tiers
            written.revocable = rule.revocable
            if note or written.pk is None:
                written.note = note
            written.created_by = actor.agent
            written.created_at = timezone.now()
            written.save()
    for name, text in generated_criteria(badge).items():
        if not getattr(badge, name):  # cleared by hand: back to the generated text
            setattr(badge, name, text)
    badge.save()
    return written


# -- Lifecycle ----------------------------------------------------------------------------


def _revalidated(badge: Badge, definition: Badge | BadgeVersion) -> CleanRule:
    """The rule, checked again at activation: a verb or a badge it names may be gone."""
    errors: Errors = {}
    rule = clean_rule(
        badge.organization,
        kind=definition.kind,
        params=definition.params,
        tiers=definition.tiers,
        revocable=definition.revocable,
        code=badge.code,
        errors=errors,
    )
    if rule is None:
        raise DomainError(
            _("This rule is no longer valid; edit it before activating it."),
            code="invalid_rule",
            extra=errors,
        )
    return rule


def _enqueue_backfill(version: BadgeVersion) -> None:
    version_id = version.pk
    transaction.on_commit(
        lambda: async_task(
            BACKFILL_TASK,
            version_id,
            task_name=f"badge-backfill-{version_id}",
            q_options={"group": "badges"},
        )
    )


@transaction.atomic
def badge_activate(*, badge: Badge, actor: Actor) -> Badge:
    """Put a draft badge live; its history is backfilled in the background (one digest per
    agent for the badges earned that way, not one notice each)."""
    _check_actor(actor, badge.organization_id)
    badge = Badge.objects.select_for_update().select_related("organization").get(pk=badge.pk)
    if badge.status != BadgeStatus.DRAFT:
        raise DomainError(_("Only a draft badge can be activated."), code="badge_not_draft")
    rule = _revalidated(badge, badge)
    now = timezone.now()
    version, _created = BadgeVersion.objects.update_or_create(
        badge=badge,
        number=badge.version,
        defaults={
            "organization": badge.organization,
            "status": BadgeVersion.Status.ACTIVE,
            "kind": rule.kind,
            "params": rule.params,
            "tiers": rule.tiers,
            "revocable": rule.revocable,
            "activated_at": now,
            "activated_by": actor.agent,
        },
    )
    badge.status = BadgeStatus.ACTIVE
    badge.save(update_fields=["status", "updated_at"])
    _enqueue_backfill(version)
    return badge


@transaction.atomic
def badge_version_activate(*, version: BadgeVersion, actor: Actor) -> Badge:
    """Put an active badge's draft rule live: the badge takes its rule and number, the
    previous version is superseded, and the badge is re-evaluated in the background.

    Awards follow the engine's rules: tiers newly met are awarded (one digest per agent),
    tiers no longer met are withdrawn if the badge is revocable, and kept if it is
    permanent (an achievement earned under an earlier rule is not taken back)."""
    _check_actor(actor, version.organization_id)
    badge = (
        Badge.objects.select_for_update().select_related("organization").get(pk=version.badge_id)
    )
    version = BadgeVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != BadgeVersion.Status.DRAFT or badge.status != BadgeStatus.ACTIVE:
        raise DomainError(
            _("Only the draft version of an active badge can be activated."),
            code="version_not_draft",
        )
    rule = _revalidated(badge, version)
    old_criteria = generated_criteria(badge)
    now = timezone.now()
    BadgeVersion.objects.filter(badge=badge, status=BadgeVersion.Status.ACTIVE).update(
        status=BadgeVersion.Status.SUPERSEDED
    )
    version.status = BadgeVersion.Status.ACTIVE
    version.params = rule.params
    version.activated_at = now
    version.activated_by = actor.agent
    version.save(update_fields=["status", "params", "activated_at", "activated_by"])
    for name in RULE_FIELDS:
        setattr(badge, name, getattr(rule, name))
    badge.version = version.number
    refresh_criteria(badge, old_criteria, rule)
    badge.save()
    _enqueue_backfill(version)
    return badge


@transaction.atomic
def badge_version_discard(*, version: BadgeVersion, actor: Actor) -> None:
    """Drop an active badge's draft rule; the live rule stays as it is."""
    _check_actor(actor, version.organization_id)
    version = BadgeVersion.objects.select_for_update().select_related("badge").get(pk=version.pk)
    if version.status != BadgeVersion.Status.DRAFT or version.badge.status != BadgeStatus.ACTIVE:
        raise DomainError(
            _("Only the draft version of an active badge can be discarded."),
            code="version_not_draft",
        )
    version.status = BadgeVersion.Status.DISCARDED
    version.save(update_fields=["status"])


@transaction.atomic
def badge_retire(*, badge: Badge, actor: Actor) -> Badge:
    """Stop evaluating a badge. The awards stay (with their history); a pending draft is
    discarded. Retiring is final: a retired badge is not activated again."""
    _check_actor(actor, badge.organization_id)
    badge = Badge.objects.select_for_update().get(pk=badge.pk)
    if badge.status == BadgeStatus.RETIRED:
        raise DomainError(_("This badge is already retired."), code="badge_retired")
    BadgeVersion.objects.filter(badge=badge, status=BadgeVersion.Status.DRAFT).update(
        status=BadgeVersion.Status.DISCARDED
    )
    badge.status = BadgeStatus.RETIRED
    badge.save(update_fields=["status", "updated_at"])
    return badge
