"""The number of different agents an ambassador coached (``confirmation``: see
``mentoring``). Earned at the session that brought the *t*-th different agent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .base import TierSpec, register
from .mentoring import DistinctCoachedKind, with_confirmation


@register
class DistinctAgentsCoached(DistinctCoachedKind):
    code = "distinct_agents_coached"
    label = gettext_lazy("Different agents coached")
    key = "x.agent_id"

    def progress(self, value: int, target: int | None) -> str:
        if target is None:
            return ngettext("%(value)d agent coached", "%(value)d agents coached", value) % {
                "value": value
            }
        return ngettext(
            "%(value)d of %(target)d agent coached",
            "%(value)d of %(target)d agents coached",
            target,
        ) % {"value": value, "target": target}

    def describe(self, params: Mapping[str, Any], tiers: Sequence[TierSpec]) -> str:
        thresholds = " / ".join(str(t.threshold) for t in tiers)
        text = _("Different agents coached: %(thresholds)s") % {"thresholds": thresholds}
        return with_confirmation(text, params)
