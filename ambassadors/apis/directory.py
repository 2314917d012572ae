"""``/api/v1/directory/imports``: upload the staff directory, then poll the import."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ambassadors.models import DirectoryImport
from ambassadors.permissions import Action
from ambassadors.services.directory import directory_import_submit
from ambassadors.tenancy import get_scoped_or_404, request_organization
from api.authentication import TokenUser
from api.pagination import paginated_response, paginated_serializer
from api.schema import READ_ERRORS, error_responses


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Line of the file; the header is line 1")
    column = serializers.CharField(help_text="The column's header, as written in the file")
    message = serializers.CharField()

    class Meta:
        ref_name = "DirectoryImportRowError"


class ImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    full = serializers.BooleanField(help_text="Agents missing from the file were marked departed")
    dry_run = serializers.BooleanField(help_text="Reported only; nothing was written")
    status = serializers.ChoiceField(choices=DirectoryImport.Status.choices)
    total_rows = serializers.IntegerField(help_text="Data rows in the file (estimated until done)")
    processed_rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    departed = serializers.IntegerField()
    rejected = serializers.IntegerField()
    message = serializers.CharField(help_text="Why it failed, or a note on the run")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "DirectoryImportSummary"


class ImportDetailSerializer(ImportSerializer):
    errors = ImportErrorSerializer(  # type: ignore[assignment]
        many=True, help_text="Rejected rows: at most the first 1,000 errors"
    )

    class Meta:
        ref_name = "DirectoryImport"


class DirectoryImportListCreateApi(APIView):
    required_scope = "directory:write"
    required_action = Action.IMPORT_DIRECTORY
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        # Empty files reach the service, which explains them like any other non-table.
        file = serializers.FileField(
            allow_empty_file=True,
            help_text="The HR export: CSV (; or ,; UTF-8 or Windows-1252) or XLSX",
        )
        full = serializers.BooleanField(
            default=False, help_text="The file is the whole staff: mark the missing agents departed"
        )
        dry_run = serializers.BooleanField(default=False, help_text="Report only, write nothing")

        class Meta:
            ref_name = "DirectoryImportInput"

    OutputSerializer = ImportDetailSerializer

    @extend_schema(
        operation_id="directory_imports_list",
        summary="List the directory imports, newest first",
        responses={200: paginated_serializer(ImportSerializer), **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        organization = request_organization(request)
        imports = DirectoryImport.objects.for_org(organization).order_by("-created_at", "-pk")
        return paginated_response(
            serializer_class=ImportSerializer, queryset=imports, request=request, view=self
        )

    @extend_schema(
        operation_id="directory_imports_create",
        summary="Import the staff directory",
        description=(
            "Upload the HR export (multipart). Up to `DIRECTORY_IMPORT_ASYNC_ROWS` data rows it "
            "is imported at once (201, status `done`); a larger file is queued (202, status "
            "`pending`): poll `GET /directory/imports/{id}`. A file that is not a directory "
            "table is refused with 400 and code `not_a_table` (or `missing_columns`), and "
            "nothing is recorded. See docs/directory-import.md for the columns."
        ),
        request={"multipart/form-data": InputSerializer},
        responses={
            201: OpenApiResponse(OutputSerializer, description="Imported at once"),
            202: OpenApiResponse(OutputSerializer, description="Queued; poll the import"),
            **error_responses(400, 401, 403, 415),
        },
    )
    def post(self, request: Request) -> Response:
        organization = request_organization(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        submitted = directory_import_submit(
            organization=organization,
            upload=data["file"],
            filename=data["file"].name or "",
            full=data["full"],
            dry_run=data["dry_run"],
            created_by=None if isinstance(user, TokenUser) else user,
        )
        return Response(
            self.OutputSerializer(submitted.record).data,
            status=status.HTTP_202_ACCEPTED if submitted.queued else status.HTTP_201_CREATED,
        )


class DirectoryImportDetailApi(APIView):
    required_scope = None  # read-only: GET needs the ``read`` scope
    required_action = Action.IMPORT_DIRECTORY

    OutputSerializer = ImportDetailSerializer

    @extend_schema(
        operation_id="directory_imports_retrieve",
        summary="Poll one directory import: status, progress, counts and row errors",
        responses={200: OutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, import_id: int) -> Response:
        record = get_scoped_or_404(DirectoryImport, request_organization(request), pk=import_id)
        return Response(self.OutputSerializer(record).data)
