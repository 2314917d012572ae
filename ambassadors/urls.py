from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from .views import network

urlpatterns = [
    path("", network.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("services/", network.org_chart, name="org-chart"),
    path("services/<int:pk>/", network.unit_detail, name="unit-detail"),
    path("agents/<int:pk>/", network.agent_detail, name="agent-detail"),
]

from .views import events  # noqa: E402

urlpatterns += [
    path("events/", events.event_list, name="event-list"),
    path("events/new/", events.event_new, name="event-new"),
    path("events/<int:event_id>/", events.event_detail, name="event-detail"),
    path(
        "events/<int:event_id>/sign-in-sheet/",
        events.event_sign_in_sheet,
        name="event-sign-in-sheet",
    ),
]

from .views import coaching  # noqa: E402

urlpatterns += [
    path("coaching/", coaching.session_list, name="coaching-list"),
    path("coaching/new/", coaching.session_new, name="coaching-new"),
    path("coaching/<int:session_id>/", coaching.session_detail, name="coaching-detail"),
    path("coaching/<int:session_id>/edit/", coaching.session_edit, name="coaching-edit"),
    path("coaching/<int:session_id>/confirm/", coaching.session_confirm, name="coaching-confirm"),
    path("coaching/confirm/<str:token>/", coaching.confirm_with_link, name="coaching-confirm-link"),
]
