from django.http import HttpResponseBadRequest
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _


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
            return HttpResponseBadRequest(
                _("请求中含有空字符(NUL),无法处理。"), content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
