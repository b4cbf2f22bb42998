"""What a locked-out login gets: 429 with ``Retry-After``, in the API's error shape or a page."""

from django.conf import settings
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _


def cooloff_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    minutes = max(1, cooloff_seconds() // 60)
    return _("登录失败次数过多,该账号或您的网络地址已被暂时锁定。请 %(minutes)d 分钟后再试。") % {
        "minutes": minutes
    }


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' AXES_LOCKOUT_CALLABLE: JSON under /api/, the admin's look elsewhere."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"code": "locked_out", "message": lockout_message(), "field_errors": {}},
            status=429,
        )
    else:
        response = TemplateResponse(
            request,
            "registration/locked_out.html",
            {"title": _("登录已暂时锁定"), "message": lockout_message()},
            status=429,
        )
        response.render()
    response["Retry-After"] = str(cooloff_seconds())
    return response
