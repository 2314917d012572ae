"""Validation of a badge's fields and rule, for the catalogue's services.

Errors go into a dict {field: [messages]} that the services raise as one
``ValidationError``: ``name_fr``, ``tiers[1].threshold``, ``params.verbs`` (a rule
parameter), ``__all__`` (no field in particular).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files import File
from django.utils import translation
from django.utils.translation import gettext as _

from ambassadors.models import Organization, Verb
from badges.models import Badge, BadgeVersion
from badges.rules import get_kind, kinds
from badges.rules.base import TierSpec, clean_tiers, tiers_as_json

RULE_FIELDS = ("kind", "params", "tiers", "revocable")
TEXT_FIELDS = {
    # field: (required, max length)
    "name_fr": (True, 120),
    "name_en": (False, 120),
    "description_fr": (False, 2000),
    "description_en": (False, 2000),
    "criteria_fr": (False, 2000),
    "criteria_en": (False, 2000),
}
PRESENTATION_FIELDS = (*TEXT_FIELDS, "category", "image", "position")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")
IMAGE_MAX_BYTES = 1024 * 1024
POSITION_MAX = 32767

Errors = dict[str, list[str]]


@dataclass(frozen=True)
class CleanRule:
    kind: str
    params: dict[str, Any]
    tiers: list[dict[str, Any]]
    revocable: bool

    def same_as(self, definition: Badge | BadgeVersion) -> bool:
        """Whether ``definition`` holds this rule (its params compared once cleaned)."""
        try:
            params = get_kind(definition.kind).clean_params(definition.params)
            tiers = tiers_as_json(clean_tiers(definition.tiers))
        except ValidationError:
            return False
        return (self.kind, self.params, self.tiers, self.revocable) == (
            definition.kind,
            params,
            tiers,
            definition.revocable,
        )


def _add(errors: Errors, exc: ValidationError, prefix: str = "") -> None:
    """Merge a ``ValidationError`` into ``errors``; with a prefix, its keys become e.g.
    ``params.verbs`` (a key naming the whole, ``params``, stays as it is)."""
    whole = prefix.rstrip(".")
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            key = name if not prefix or name == whole else prefix + name
            errors.setdefault(key, []).extend(messages)
    else:
        errors.setdefault(whole or NON_FIELD_ERRORS, []).extend(exc.messages)


def clean_rule(
    organization: Organization,
    *,
    kind: Any,
    params: Any,
    tiers: Any,
    revocable: Any,
    code: str,
    errors: Errors,
) -> CleanRule | None:
    """Validate a rule for a badge of this organization; add errors to ``errors``.

    Besides the kind's own checks: the verbs it names exist in the organization's verb
    catalogue; a meta-badge names existing badges (not itself, nor another meta-badge, whose
    result is not known yet when meta-badges are evaluated).
    """
    before = len(errors)
    rule_kind = None
    if not isinstance(kind, str) or not kind:
        errors["kind"] = [_("Choose a rule kind.")]
    else:
        try:
            rule_kind = get_kind(kind)
        except ValidationError as exc:
            _add(errors, exc)
    if not isinstance(revocable, bool):
        errors["revocable"] = [_("Say whether the badge is revocable (true or false).")]
    cleaned_params: dict[str, Any] | None = None
    if not isinstance(params, Mapping):
        errors["params"] = [_('The parameters are an object, e.g. {"verbs": [...]}.')]
    elif rule_kind is not None:
        try:
            cleaned_params = rule_kind.clean_params(params)
        except ValidationError as exc:
            _add(errors, exc, prefix="params.")
    specs: tuple[TierSpec, ...] = ()
    try:
        specs = clean_tiers(tiers)
    except ValidationError as exc:
        _add(errors, exc)
    if rule_kind is None or cleaned_params is None or not specs or not isinstance(revocable, bool):
        return None
    for name, messages in rule_kind.check_rule(cleaned_params, revocable, tiers=specs).items():
        key = name if name in {*RULE_FIELDS, NON_FIELD_ERRORS} else f"params.{name}"
        errors.setdefault(key, []).extend(messages)
    named_verbs = cleaned_params.get("verbs")
    if isinstance(named_verbs, list) and named_verbs:
        known = set(
            Verb.objects.for_org(organization)
            .filter(code__in=named_verbs)
            .values_list("code", flat=True)
        )
        unknown = sorted(set(named_verbs) - known)
        if unknown:
            errors.setdefault("params.verbs", []).append(
                _("Unknown verbs for this organization: %(verbs)s.") % {"verbs": ", ".join(unknown)}
            )
    if rule_kind.depends_on_badges:
        _check_meta(organization, cleaned_params, code, errors)
    if len(errors) > before:
        return None
    return CleanRule(
        kind=kind,
        params=cleaned_params,
        tiers=tiers_as_json(specs),
        revocable=revocable,
    )


def _check_meta(
    organization: Organization, params: Mapping[str, Any], code: str, errors: Errors
) -> None:
    codes = params.get("badges")
    if not isinstance(codes, list):
        return
    if code in codes:
        errors.setdefault("params.badges", []).append(_("A badge cannot count itself."))
    found = dict(
        Badge.objects.for_org(organization).filter(code__in=codes).values_list("code", "kind")
    )
    unknown = sorted(set(codes) - set(found) - {code})
    if unknown:
        errors.setdefault("params.badges", []).append(
            _("Unknown badges: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    registry = kinds()
    metas = sorted(c for c, k in found.items() if k in registry and registry[k].depends_on_badges)
    if metas:
        errors.setdefault("params.badges", []).append(
            _("A meta-badge cannot count other meta-badges: %(codes)s.")
            % {"codes": ", ".join(metas)}
        )


def clean_presentation(
    data: Mapping[str, Any], errors: Errors, *, creating: bool
) -> dict[str, Any]:
    """The presentation fields present in ``data``, cleaned (all of them when creating)."""
    out: dict[str, Any] = {}
    for name, (required, max_length) in TEXT_FIELDS.items():
        if name not in data and not creating:
            continue
        value = data.get(name) or ""
        if not isinstance(value, str):
            errors[name] = [_("Enter text.")]
            continue
        value = value.strip()
        if required and not value:
            errors[name] = [_("This field is required.")]
        elif max_length is not None and len(value) > max_length:
            errors[name] = [
                _("At most %(max)d characters (it has %(n)d).")
                % {"max": max_length, "n": len(value)}
            ]
        out[name] = value
    if "category" in data or creating:
        category = data.get("category")
        if category not in Verb.Category.values:
            errors["category"] = [
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(Verb.Category.values)}
            ]
        out["category"] = category
    if "position" in data:
        position = data["position"]
        if (
            not isinstance(position, int)
            or isinstance(position, bool)
            or not 0 <= position <= POSITION_MAX
        ):
            errors["position"] = [_("A whole number from 0 to %(max)d.") % {"max": POSITION_MAX}]
        out["position"] = position
    if "image" in data and data["image"] is not None:
        image = data["image"]
        if image is False:
            out["image"] = ""  # cleared (a form's "clear" checkbox)
        elif not isinstance(image, File):
            errors["image"] = [_("Upload an image file.")]
        elif os.path.splitext(image.name or "")[1].lower() not in IMAGE_EXTENSIONS:
            errors["image"] = [
                _("Upload a PNG, JPEG or WebP image (%(ext)s).")
                % {"ext": ", ".join(IMAGE_EXTENSIONS)}
            ]
        elif image.size is not None and image.size > IMAGE_MAX_BYTES:
            errors["image"] = [_("The image is too large (1 MB at most).")]
        else:
            out["image"] = image
    return out


def described(kind: str, params: Mapping[str, Any], tiers: list[dict[str, Any]]) -> dict[str, str]:
    """The criteria in plain words, in French and English, from the kind."""
    rule_kind = get_kind(kind)
    specs = clean_tiers(tiers)
    out = {}
    for language in ("fr", "en"):
        with translation.override(language):
            out[f"criteria_{language}"] = str(rule_kind.describe(params, specs))
    return out


def generated_criteria(definition: Badge | BadgeVersion) -> dict[str, str]:
    """The criteria the kind writes for this rule; none if the rule no longer validates."""
    try:
        return described(
            definition.kind,
            get_kind(definition.kind).clean_params(definition.params),
            definition.tiers,
        )
    except ValidationError:
        return {}


def refresh_criteria(badge: Badge, old: dict[str, str], rule: CleanRule) -> None:
    """Criteria left blank or as generated for the old rule follow the new rule; criteria
    written by hand stay (the person who wrote them changes them)."""
    new = described(rule.kind, rule.params, rule.tiers)
    for name, text in new.items():
        current = getattr(badge, name)
        if not current or current == old.get(name):
            setattr(badge, name, text)
