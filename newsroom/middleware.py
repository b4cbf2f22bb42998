from django.utils.deprecation import MiddlewareMixin


class ChineseUnlessChosenMiddleware(MiddlewareMixin):
    """Speak the site's language (zh-hans) whatever the browser asks for.

    The newsroom works in Chinese; an editor on an English browser would otherwise get a
    half-English admin. English stays available by choice: Django's ``set_language`` view
    (``/i18n/setlang/``) sets the language cookie, which ``LocaleMiddleware`` honours.
    Runs before ``LocaleMiddleware``.
    """

    def process_request(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
