"""gzip for the site's HTML, feeds and downloads, compressed once per distinct body.

Django's GZipMiddleware compresses every response again on every hit; a cached page is the
same bytes for thousands of readers. Here the compressed body is kept in a small in-process
LRU keyed by a digest of the uncompressed body (hashing costs a fraction of compressing),
so a page served from the page cache is compressed once per process and content version.
Streaming responses (CSV/JSON downloads, files) and WhiteNoise's static files, which are
precompressed by collectstatic, pass through untouched.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict

from django.utils.cache import patch_vary_headers
from django.utils.regex_helper import _lazy_re_compile

ACCEPTS_GZIP = _lazy_re_compile(r"\bgzip\b")
COMPRESSIBLE = (
    "text/html",
    "text/plain",
    "text/css",
    "text/csv",
    "application/json",
    "application/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/javascript",
    "text/javascript",
)
MIN_SIZE = 512
CACHE_BYTES = 32 * 1024 * 1024


class CompressedBodies:
    """A byte-bounded LRU: digest of the plain body → gzip body."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[bytes, bytes] = OrderedDict()
        self.lock = threading.Lock()
        self.compressions = 0  # for tests: how often a body was actually compressed

    def get(self, body: bytes) -> bytes:
        key = hashlib.blake2b(body, digest_size=20).digest()
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
                return found
        compressed = gzip.compress(body, compresslevel=6, mtime=0)
        with self.lock:
            self.compressions += 1
            if key not in self.entries:
                self.entries[key] = compressed
                self.size += len(compressed)
                while self.size > self.max_bytes and self.entries:
                    _key, old = self.entries.popitem(last=False)
                    self.size -= len(old)
        return compressed


BODIES = CompressedBodies()


class CachedGzipMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.streaming or response.has_header("Content-Encoding"):
            return response
        content_type = response.get("Content-Type", "").split(";")[0].strip()
        if content_type not in COMPRESSIBLE or len(response.content) < MIN_SIZE:
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if not ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        compressed = BODIES.get(response.content)
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response["Content-Length"] = str(len(compressed))
        response["Content-Encoding"] = "gzip"
        etag = response.get("ETag")
        if etag and etag.startswith('"'):  # a strong ETag names the plain bytes
            response["ETag"] = "W/" + etag
        return response
