"""Rule kinds. Importing this package registers every kind (see ``base.register``)."""

from . import count  # noqa: F401
from .base import Context, Earned, Measure, Rule, RuleKind, TierSpec, get_kind, kinds

__all__ = ["Context", "Earned", "Measure", "Rule", "RuleKind", "TierSpec", "get_kind", "kinds"]
