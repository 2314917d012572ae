"""Page-number pagination for every list: ``?page=2&page_size=100``.

Views are plain ``APIView``s, so they paginate through ``paginated_response`` and declare
their body in the schema with ``paginated_serializer``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import pagination, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def paginated_response(
    *,
    serializer_class: type[serializers.Serializer],
    queryset: QuerySet[Any],
    request: Request,
    view: APIView,
    pagination_class: type[pagination.BasePagination] = PageNumberPagination,
) -> Response:
    paginator = pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    serializer = serializer_class(page, many=True)
    return paginator.get_paginated_response(serializer.data)


_paginated: dict[type[serializers.Serializer], type[serializers.Serializer]] = {}


def paginated_serializer(
    serializer_class: type[serializers.Serializer],
) -> type[serializers.Serializer]:
    """The schema of one page of ``serializer_class`` items (for ``@extend_schema``)."""
    if serializer_class not in _paginated:
        item_name = getattr(getattr(serializer_class, "Meta", None), "ref_name", None) or (
            serializer_class.__name__.removesuffix("Serializer")
        )
        meta = type("Meta", (), {"ref_name": f"Paginated{item_name}List"})
        _paginated[serializer_class] = type(
            f"Paginated{item_name}ListSerializer",
            (serializers.Serializer,),
            {
                "__module__": __name__,
                "Meta": meta,
                "count": serializers.IntegerField(help_text="Total number of items"),
                "next": serializers.URLField(allow_null=True, help_text="Next page, or null"),
                "previous": serializers.URLField(
                    allow_null=True, help_text="Previous page, or null"
                ),
                "results": serializer_class(many=True),
            },
        )
    return _paginated[serializer_class]
