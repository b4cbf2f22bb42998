"""One error shape for every API failure: ``{"code", "message", "field_errors"}``.

``TransitionNotAllowed`` from the workflow is mapped here and nowhere else:
``forbidden`` → 403, ``conflict`` → 409 with the current version, ``invalid_state`` → 409,
``invalid`` → 400. Database integrity errors a client can provoke (two clients taking the
same headline rank at once) are 409, never a 500.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ..roles import TransitionNotAllowed

logger = logging.getLogger(__name__)

TRANSITION_STATUS = {
    "forbidden": status.HTTP_403_FORBIDDEN,
    "conflict": status.HTTP_409_CONFLICT,
    "invalid_state": status.HTTP_409_CONFLICT,
    "invalid": status.HTTP_400_BAD_REQUEST,
}

DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


class Retracted(exceptions.APIException):
    """A retracted issue: its text is gone from every public surface, its notice is not."""

    status_code = status.HTTP_410_GONE
    default_code = "retracted"


class ErrorSerializer(serializers.Serializer):
    """The body of every error response (documented in the schema)."""

    code = serializers.CharField(help_text="e.g. invalid, forbidden, conflict, not_found")
    message = serializers.CharField()
    field_errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field; non_field_errors for the request as a whole.",
    )
    current_version = serializers.IntegerField(
        required=False, help_text="On 409 conflict: the version the row has now."
    )


def _flatten(detail) -> dict[str, list[str]]:
    """DRF's nested error detail → ``{"field": ["message", …]}`` with dotted paths."""
    out: dict[str, list[str]] = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                out.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
            else:
                for index, sub in enumerate(value):
                    walk(f"{prefix}.{index}" if prefix else str(index), sub)
        else:
            out.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return out


def error_body(code: str, message, field_errors=None, **extra) -> dict:
    return {"code": code, "message": str(message), "field_errors": field_errors or {}, **extra}


def api_exception_handler(exc, context):
    headers = {}
    if isinstance(exc, TransitionNotAllowed):
        extra = {}
        if exc.code == "conflict" and getattr(exc.current, "version", None) is not None:
            extra["current_version"] = exc.current.version
        field_errors = {"non_field_errors": list(exc.errors)} if exc.errors else {}
        if exc.field:
            field_errors[exc.field] = [exc.message]
        set_rollback()
        return Response(
            error_body(exc.code, exc.message, field_errors, **extra),
            status=TRANSITION_STATUS.get(exc.code, status.HTTP_409_CONFLICT),
        )
    if isinstance(exc, IntegrityError):
        set_rollback()
        logger.info("integrity error turned into 409: %s", exc)
        return Response(
            error_body("conflict", _("与现有内容冲突(可能有人同时修改),请刷新后重试。")),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DataError | DjangoValidationError):
        set_rollback()
        messages = getattr(exc, "messages", None) or [str(exc)]
        return Response(
            error_body("invalid", messages[0], {"non_field_errors": [str(m) for m in messages]}),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, RequestDataTooBig):
        set_rollback()
        return Response(
            error_body(
                "too_large",
                _("请求体过大:最多 %(limit)s 字节。")
                % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
            ),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: let Django log it and answer 500
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.values()), [_("输入无效。")])[0]
        body = error_body("invalid", first, fields)
    else:
        code = next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), None)
        detail = exc.detail
        message = detail if isinstance(detail, str) else _("请求无效。")
        body = error_body(code or getattr(detail, "code", None) or "error", message)
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)
