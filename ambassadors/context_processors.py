from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .permissions import actor_for_request


def relais(request: HttpRequest) -> dict[str, Any]:
    return {
        "organization": getattr(request, "organization", None),
        "actor": actor_for_request(request) if hasattr(request, "organization") else None,
    }
