"""Routes of the ambassadors app under /api/v1/ (included by api/urls.py)."""

from __future__ import annotations

from django.urls import path  # noqa: F401

urlpatterns: list = []
