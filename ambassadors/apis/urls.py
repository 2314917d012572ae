"""Routes of the ambassadors app under /api/v1/ (included by api/urls.py)."""

from __future__ import annotations

from django.urls import path

from .activities import ActivityListIngestApi, ActivityRetractionApi
from .agents import AgentDetailApi, AgentListApi
from .directory import DirectoryImportDetailApi, DirectoryImportListCreateApi
from .units import UnitDetailApi, UnitTreeApi

urlpatterns: list = [
    path("activities", ActivityListIngestApi.as_view(), name="api-activities"),
    path(
        "activities/retractions",
        ActivityRetractionApi.as_view(),
        name="api-activity-retractions",
    ),
    path("agents", AgentListApi.as_view(), name="api-agents"),
    path("agents/<int:agent_id>", AgentDetailApi.as_view(), name="api-agent"),
    path("units", UnitTreeApi.as_view(), name="api-units"),
    path("units/<int:unit_id>", UnitDetailApi.as_view(), name="api-unit"),
    path(
        "directory/imports",
        DirectoryImportListCreateApi.as_view(),
        name="api-directory-imports",
    ),
    path(
        "directory/imports/<int:import_id>",
        DirectoryImportDetailApi.as_view(),
        name="api-directory-import",
    ),
]

from .events import EventAttendanceApi, EventListApi  # noqa: E402

urlpatterns += [
    path("events", EventListApi.as_view(), name="api-events"),
    path(
        "events/<int:event_id>/attendance",
        EventAttendanceApi.as_view(),
        name="api-event-attendance",
    ),
]

from .coaching import CoachingSessionDetailApi, CoachingSessionListCreateApi  # noqa: E402

urlpatterns += [
    path("coaching-sessions", CoachingSessionListCreateApi.as_view(), name="api-coaching-sessions"),
    path(
        "coaching-sessions/<int:session_id>",
        CoachingSessionDetailApi.as_view(),
        name="api-coaching-session",
    ),
]
