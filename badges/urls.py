"""Pages of the badges app, under /badges/ (included by config/urls.py).

The communication team's pages live under ``manage/`` and each badge's under its code;
fixed words come first so that they are never read as a badge's code.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import agents, catalogue, manage, manual

urlpatterns: list[URLPattern] = [
    path("", catalogue.catalogue, name="badge-catalogue"),
    path("agents/<int:agent_id>/", agents.agent_badges, name="badge-agent"),
    path("agents/<int:agent_id>/contest/", agents.contest, name="badge-contest"),
    path("notifications/read/", agents.notifications_read, name="badge-notifications-read"),
    path("manage/new/", manage.badge_new, name="badge-new"),
    path("manage/grant/", manual.grant, name="badge-grant"),
    path("manage/contests/", manual.contests, name="badge-contests"),
    path(
        "manage/contests/<int:contest_id>/answer/",
        manual.contest_answer,
        name="badge-contest-answer",
    ),
    path("<slug:code>/", manage.badge_detail, name="badge-detail"),
    path("<slug:code>/preview/", manage.badge_preview, name="badge-preview"),
    path("<slug:code>/activate/", manage.badge_activate_view, name="badge-activate"),
    path("<slug:code>/discard/", manage.badge_discard_view, name="badge-discard"),
    path("<slug:code>/retire/", manage.badge_retire_view, name="badge-retire"),
    path("<slug:code>/<slug:tier>.svg", catalogue.badge_image, name="badge-image"),
]
