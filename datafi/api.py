"""JSON error shape shared by every API: a stable ``code`` and a human ``detail``."""

from django.http import JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApiError(Exception):
    """Raised by services for a client error; views turn it into a 4xx."""

    def __init__(self, code: str, detail: str, status_code: int = 400):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status_code = status_code


def error_response(code: str, detail, status_code: int = 400) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status_code)


def exception_handler(exc, context):
    if isinstance(exc, ApiError):
        return Response({"code": exc.code, "detail": exc.detail}, status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        code, detail = "invalid", exc.detail
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        detail = exc.detail
        if isinstance(detail, dict) and set(detail) == {"detail"}:
            detail = detail["detail"]
    else:
        code, detail = "error", str(exc)
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        code = "throttled"
    response.data = {"code": code, "detail": detail}
    return response


class ErrorSerializer(serializers.Serializer):
    """The one error shape of every API, as documented in the schema."""

    class Meta:
        ref_name = "Error"

    code = serializers.CharField()
    detail = serializers.JSONField()


class StrictCursorPagination(CursorPagination):
    """Cursor pagination that refuses a malformed page_size instead of
    silently falling back to the default."""

    page_size_query_param = "page_size"

    def get_page_size(self, request):
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        if len(raw) > 1 or not raw[0].isdigit() or not 1 <= int(raw[0]) <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": f"A whole number from 1 to {self.max_page_size}."}
            )
        return int(raw[0])

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            # A cursor is client input: a mangled one is a 400, not a missing page.
            raise exceptions.ValidationError({"cursor": "Invalid cursor."}) from None
