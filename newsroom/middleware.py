import os

from django.conf import settings
from django.utils.deprecation import MiddlewareMixin
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
