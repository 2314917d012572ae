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
