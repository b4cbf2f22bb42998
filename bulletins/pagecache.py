"""The public pages' cache: whole responses keyed by what readers may see.

``content_version()`` changes whenever a bulletin is saved (publish, correct, retract) or a
scheduled issue reaches its time; ``cache_public_page`` wraps the site's views and feeds
(``bulletins/urls.py``); ``cached_count`` keeps a list's length until the content changes.
"""

import hashlib
import threading
import time
from collections import OrderedDict
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone

from .models import PUBLIC_BULLETIN_STATUSES, Bulletin

STATS_CACHE_SECONDS = 60 * 60


def content_version(*, at=None) -> str:
    """Changes whenever what readers may see changes: any bulletin saved (publish, correct,
    retract) or a scheduled issue reaching its time. One aggregate over the bulletins,
    written as SQL because it runs on every cached hit."""
    at = at or timezone.now()
    table = connection.ops.quote_name(Bulletin._meta.db_table)
    statuses = ", ".join(["%s"] * len(PUBLIC_BULLETIN_STATUSES))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MAX(updated_at), SUM(CASE WHEN status IN ({statuses}) AND publish_at <= %s "
            f"THEN 1 ELSE 0 END) FROM {table}",
            [*PUBLIC_BULLETIN_STATUSES, at],
        )
        updated, public = cursor.fetchone()
    return hashlib.sha256(f"{updated}|{public or 0}".encode()).hexdigest()[:16]


_VERSION_MEMO = {"until": 0.0, "value": ""}


def memo_content_version() -> str:
    """``content_version()``, reused for ``NEWSROOM_PAGE_CACHE_VERSION_SECONDS`` (0.5 s) in
    this process: a retraction reaches every cached page on every worker within a second
    (half a second of reuse plus the request in flight; two cheap queries a second)."""
    ttl = getattr(settings, "NEWSROOM_PAGE_CACHE_VERSION_SECONDS", 0.5)
    now = time.monotonic()
    if ttl <= 0 or now >= _VERSION_MEMO["until"]:
        _VERSION_MEMO.update(value=content_version(), until=now + ttl)
    return _VERSION_MEMO["value"]


def cache_public_page(view):
    """Serve a public page from the cache for ``NEWSROOM_PAGE_CACHE_SECONDS`` (0: off).

    The key holds ``content_version()``, so publishing, a correction, a retraction or a
    scheduled issue going live shows within a second (see ``memo_content_version``); other
    changes (an entity's description, a confirmed link) show within the timeout.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        seconds = getattr(settings, "NEWSROOM_PAGE_CACHE_SECONDS", 0)
        if not seconds or request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        # Scheme and host too: pages carry absolute URLs (canonical, og:url, JSON-LD).
        identity = f"{memo_content_version()}|{getattr(request, 'LANGUAGE_CODE', '')}|"
        identity += request.build_absolute_uri()
        key = "site-page:" + hashlib.sha256(identity.encode()).hexdigest()
        local = _local_get(key)
        if local is not None:
            local.is_public_page = True
            return local
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming:
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                cache.set(key, response, seconds)
        if response.status_code == 200 and not response.streaming:
            _local_set(key, response, seconds)
            response.is_public_page = True  # CachedPageMiddleware may keep the final response
        return response

    return wrapped


class CachedPageMiddleware:
    """Serve a cached public page to a reader without cookies before sessions, locale, CSRF,
    authentication, messages and the other middleware run: the response exactly as that
    stack last produced it for this URL, host and content version (process-local, like
    ``_local``). A hit then costs less than a hello-world view, which runs them all.

    Only requests without cookies or credentials: for them the stack's answer depends on
    nothing but the URL — the language is the site's (``ChineseUnlessChosenMiddleware``
    drops Accept-Language; no language cookie), no session, CSRF token or user is read, and
    only a response in the site's language (``LANGUAGE_CODE``) is kept. A
    response setting a cookie is never kept. A publication changes ``content_version()``,
    so it reaches these copies as fast as the page cache (within a second on every worker).
    Sits after gzip and ``NotModifiedMiddleware``, so both still apply to a hit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = getattr(settings, "NEWSROOM_PAGE_CACHE_SECONDS", 0)
        meta = request.META
        if (
            not seconds
            or request.method != "GET"
            or meta.get("HTTP_COOKIE")
            or "HTTP_AUTHORIZATION" in meta
        ):
            return self.get_response(request)
        identity = f"{memo_content_version()}|{request.scheme}://{request.get_host()}"
        key = (
            "final-page:"
            + hashlib.sha256(f"{identity}{request.get_full_path()}".encode()).hexdigest()
        )
        hit = _local_get(key)
        if hit is not None:
            return hit
        response = self.get_response(request)
        if (
            getattr(response, "is_public_page", False)
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            # (the key holds no language: only a page in the site's own language is kept, so a
            # page a reader chose another language for is never replayed to anyone else)
            and response.get("Content-Language", settings.LANGUAGE_CODE) == settings.LANGUAGE_CODE
        ):
            _local_set(key, response, seconds)
        return response


# A process-local copy of the most requested pages in front of the shared cache: a hit then
# costs neither a Redis round trip nor unpickling a response (measured: a cached page at
# 0.42× a hello-world view with Redis). The key holds the content version, so a publication
# reaches these copies as fast as the shared ones; each expires with the shared entry.
LOCAL_PAGES = 256
_local: OrderedDict = OrderedDict()
_local_lock = threading.Lock()


def _local_get(key):
    with _local_lock:
        entry = _local.get(key)
        if entry is None:
            return None
        expires, status, content, headers = entry
        if expires < time.monotonic():
            del _local[key]
            return None
        _local.move_to_end(key)
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    return response


def _local_set(key, response, seconds) -> None:
    headers = list(response.items())
    with _local_lock:
        _local[key] = (time.monotonic() + seconds, response.status_code, response.content, headers)
        _local.move_to_end(key)
        while len(_local) > LOCAL_PAGES:
            _local.popitem(last=False)


def clear_local_pages() -> None:
    """Forget the process-local copies (tests clear the shared cache and this together)."""
    with _local_lock:
        _local.clear()
        _local_etags.clear()


def cached(key: str, compute, *, seconds: int = STATS_CACHE_SECONDS):
    """``compute()`` kept under ``key`` until the public content changes (or ``seconds``)."""
    full_key = f"{key}:{memo_content_version()}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, seconds)
    return value


# ----------------------------------------------------------------------------- conditional GET


def _etag_key(request) -> str | None:
    """Where an anonymous read's ETag is kept while the public content stays the same (the
    page cache's rule: ``content_version`` changes on publish, correct, retract and due
    schedules; other changes show within ``NEWSROOM_PAGE_CACHE_SECONDS``). None: not kept."""
    seconds = getattr(settings, "NEWSROOM_PAGE_CACHE_SECONDS", 0)
    if not seconds or request.method not in ("GET", "HEAD"):
        return None
    if "Authorization" in request.headers or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    identity = f"{memo_content_version()}|{request.get_full_path()}"
    return "etag:" + hashlib.sha256(identity.encode()).hexdigest()


LOCAL_ETAGS = 4096
_local_etags: OrderedDict = OrderedDict()


def memoise_etag(request, etag: str) -> None:
    """Remember the ETag a view computed from its content (the API does, for every read):
    in the shared cache for the other workers, and in this process (no round trip)."""
    key = _etag_key(request)
    if key is not None:
        seconds = settings.NEWSROOM_PAGE_CACHE_SECONDS
        cache.set(key, etag, seconds)
        _remember_etag(key, etag, seconds)


def _remember_etag(key, etag, seconds) -> None:
    with _local_lock:
        _local_etags[key] = (time.monotonic() + seconds, etag)
        _local_etags.move_to_end(key)
        while len(_local_etags) > LOCAL_ETAGS:
            _local_etags.popitem(last=False)


def _memoised_etag(key):
    with _local_lock:
        entry = _local_etags.get(key)
    if entry is not None and entry[0] >= time.monotonic():
        return entry[1]
    etag = cache.get(key)
    if etag is not None:
        _remember_etag(key, etag, settings.NEWSROOM_PAGE_CACHE_SECONDS)
    return etag


class NotModifiedMiddleware:
    """Answer a conditional GET with ``304`` before any view runs, when the client holds the
    ETag memoised for this URL and the current public content (anonymous requests only: the
    API's answers depend on who asks). Without it a 304 cost a whole response to hash."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        held = request.headers.get("If-None-Match")
        if held:
            key = _etag_key(request)
            etag = _memoised_etag(key) if key is not None else None
            if etag is not None and etag in [tag.strip() for tag in held.split(",")]:
                return self.not_modified(request, etag)
        return self.get_response(request)

    @staticmethod
    def not_modified(request, etag):
        from django.http import HttpResponseNotModified
        from django.utils.cache import patch_vary_headers

        from .api.views import _add_cors

        response = HttpResponseNotModified()
        response["ETag"] = etag
        patch_vary_headers(response, ("Authorization", "Cookie"))
        _add_cors(request, response)
        return response
