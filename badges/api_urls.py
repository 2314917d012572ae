"""Routes of the badges app under /api/v1/ (included by api/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, path

from .apis import AgentAwardListApi, AgentProgressApi, BadgeListApi

urlpatterns: list[URLPattern] = [
    path("badges", BadgeListApi.as_view(), name="api-badges"),
    path("agents/<int:agent_id>/awards", AgentAwardListApi.as_view(), name="api-agent-awards"),
    path("agents/<int:agent_id>/progress", AgentProgressApi.as_view(), name="api-agent-progress"),
]
