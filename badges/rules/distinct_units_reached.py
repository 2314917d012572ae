"""The number of different services (org units) an ambassador reached by coaching their
agents: the agent's service at the time of the session, from the ledger row. Agents with no
service then are not counted. ``confirmation``: see ``mentoring``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .base import TierSpec, register
from .mentoring import DistinctCoachedKind, with_confirmation


@register
class DistinctUnitsReached(DistinctCoachedKind):
    code = "distinct_units_reached"
    label = gettext_lazy("Different services reached by coaching")
    key = "x.unit_id"

    def progress(self, value: int, target: int | None) -> str:
        if target is None:
            return ngettext("%(value)d service reached", "%(value)d services reached", value) % {
                "value": value
            }
        return ngettext(
            "%(value)d of %(target)d service reached",
            "%(value)d of %(target)d services reached",
            target,
        ) % {"value": value, "target": target}

    def describe(self, params: Mapping[str, Any], tiers: Sequence[TierSpec]) -> str:
        thresholds = " / ".join(str(t.threshold) for t in tiers)
        text = _("Different services reached by coaching: %(thresholds)s") % {
            "thresholds": thresholds
        }
        return with_confirmation(text, params)
