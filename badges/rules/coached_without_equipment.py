"""*La main tendue*: the number of different agents coached who have no workstation or no
intranet account — those the digital workplace reaches last. The flags are the agents'
current ones (``Agent.has_workstation``, ``has_account``). ``confirmation``: see
``mentoring``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .base import TierSpec, register
from .mentoring import DistinctCoachedKind, with_confirmation


@register
class CoachedWithoutEquipment(DistinctCoachedKind):
    code = "coached_without_equipment"
    label = gettext_lazy("Agents without a workstation or account coached")
    key = "x.agent_id"
    without_equipment = True

    def progress(self, value: int, target: int | None) -> str:
        if target is None:
            return ngettext(
                "%(value)d agent without a workstation or account coached",
                "%(value)d agents without a workstation or account coached",
                value,
            ) % {"value": value}
        return ngettext(
            "%(value)d of %(target)d agent without a workstation or account coached",
            "%(value)d of %(target)d agents without a workstation or account coached",
            target,
        ) % {"value": value, "target": target}

    def describe(self, params: Mapping[str, Any], tiers: Sequence[TierSpec]) -> str:
        thresholds = " / ".join(str(t.threshold) for t in tiers)
        text = _("Agents without a workstation or account coached: %(thresholds)s") % {
            "thresholds": thresholds
        }
        return with_confirmation(text, params)
