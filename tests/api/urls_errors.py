"""A URLconf for the error tests: the real API plus views that fail on purpose."""

from __future__ import annotations

from django.urls import include, path
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ambassadors.errors import DomainError


class EchoApi(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    parser_classes = [JSONParser]

    class InputSerializer(serializers.Serializer):
        hr_id = serializers.CharField(max_length=5)
        hours = serializers.IntegerField(min_value=0)

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class DomainFailureApi(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request: Request, status: int) -> Response:
        error = DomainError("The engine is busy.", code="engine_busy", extra={"retry_after": [30]})
        error.status = status
        raise error


urlpatterns = [
    path("api/v1/test/echo", EchoApi.as_view()),
    path("api/v1/test/domain/<int:status>", DomainFailureApi.as_view()),
    path("api/v1/", include("api.urls")),
]
