"""Rule kinds. Importing this package registers every kind (see ``base.register``)."""

from . import (  # noqa: F401
    coached_without_equipment,
    count,
    distinct_agents_coached,
    distinct_units_reached,
    events,
    first_time,
    meta,
    streak,
)
from .base import Context, Earned, Measure, Rule, RuleKind, TierSpec, get_kind, kinds

__all__ = ["Context", "Earned", "Measure", "Rule", "RuleKind", "TierSpec", "get_kind", "kinds"]
