from __future__ import annotations

from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .errors import json_not_found

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("ambassadors.apis.urls")),
    path("", include("badges.api_urls")),
    # Last: any other path under /api/v1/ is a 404 in the API's JSON error shape, whatever
    # the method (no CSRF check: there is nothing behind it to protect).
    re_path(r"^", csrf_exempt(json_not_found), name="api-not-found"),
]
