"""The demo collectivité (Ville de Valmont) behind ``manage.py seed_demo``.

``plan`` draws it as plain data from a seed, ``seed`` writes it; ``data`` holds the org
chart, sites, trades and names it draws from.
"""

from __future__ import annotations

from .seed import DEMO_PASSWORD, DemoLogin, DemoSummary, demo_delete, demo_seed, demo_summary

__all__ = [
    "DEMO_PASSWORD",
    "DemoLogin",
    "DemoSummary",
    "demo_delete",
    "demo_seed",
    "demo_summary",
]
