import logging
import os
import re

from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _
from whitenoise.middleware import WhiteNoiseMiddleware


class ChineseUnlessChosenMiddleware(MiddlewareMixin):
    """Speak the site's language (zh-hans) whatever the browser asks for.

    The newsroom works in Chinese; an editor on an English browser would otherwise get a
    half-English admin. English stays available by choice: Django's ``set_language`` view
    (``/i18n/setlang/``) sets the language cookie, which ``LocaleMiddleware`` honours.
    Runs before ``LocaleMiddleware``.
    """

    def process_request(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)


class RefuseNulMiddleware:
    """Answer 400 to a NUL byte anywhere in the path, the query or a form field.

    No text the newsroom stores or looks up contains one, and PostgreSQL refuses it in any
    string ("cannot contain NUL"), which would surface as a 500 deep inside a view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            message = _("请求中含有空字符(NUL),无法处理。")
            if request.path.startswith("/api/"):  # the API's one error shape
                return JsonResponse(
                    {"code": "invalid", "message": message, "field_errors": {}}, status=400
                )
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


logger = logging.getLogger(__name__)

# The database was busy, not broken: SQLite's lock (after its busy timeout), PostgreSQL's lock
# or statement timeouts, a dropped or refused connection. Worth a retry in a few seconds.
BUSY_RE = re.compile(
    r"database is locked|database table is locked|lock timeout|statement timeout"
    r"|could not obtain lock|deadlock detected|could not connect|connection .*(closed|refused)"
    r"|server closed the connection|terminating connection",
    re.IGNORECASE,
)
RETRY_AFTER_SECONDS = 5


class DatabaseBusyMiddleware:
    """Answer 503 with ``Retry-After`` when the database is busy, never a 500.

    The API answers in its error shape (``{"code", "message", "field_errors"}``), pages in
    HTML. Nothing was written: the request's transaction was rolled back by the error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError) or not BUSY_RE.search(str(exception)):
            return None
        logger.warning("database busy on %s: %s", request.path, exception)
        message = _("数据库正忙(其他人正在保存),请 %(seconds)s 秒后重试;您的修改没有保存。") % {
            "seconds": RETRY_AFTER_SECONDS
        }
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"code": "busy", "message": message, "field_errors": {}}, status=503
            )
        else:
            response = HttpResponse(
                render_to_string("503.html", {"message": message}, request=request),
                status=503,
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class DevelopmentStaticMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise for ``runserver --nostatic``: the collected copy (with the gzip/brotli
    files ``collectstatic`` writes) when it is at least as new as the source file, else
    the source through the finders — so an edit shows at once and everything else goes
    out compressed with cache headers, as in production."""

    def candidate_paths_for_url(self, url):
        sources = list(super().candidate_paths_for_url(url))
        collected = [p for p in sources if p.startswith(str(settings.STATIC_ROOT))]
        found = [p for p in sources if p not in collected]
        try:
            fresh = collected and (
                not found or os.path.getmtime(collected[0]) >= os.path.getmtime(found[0])
            )
        except OSError:
            fresh = False
        return collected + found if fresh else found + collected
