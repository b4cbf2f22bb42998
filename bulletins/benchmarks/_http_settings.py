"""Settings of the gunicorn workers the HTTP benchmark starts (``benchmarks/http.py``).

The project's production settings (``DEBUG=0`` from the environment the benchmark sets), plus:
a hello-world view beside the site (the baseline, same middleware), a header naming the
worker that answered (to see every worker serve a publication), and static files without
the collectstatic manifest (the benchmark does not run collectstatic).
"""

import warnings

from newsroom.settings import *  # noqa: F403
from newsroom.settings import MIDDLEWARE, STORAGES

ROOT_URLCONF = "bulletins.benchmarks._http_urls"
MIDDLEWARE = ["bulletins.benchmarks._http_urls.worker_header", *MIDDLEWARE]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# WhiteNoise looks for STATIC_ROOT, which only collectstatic creates; the pages link no file.
warnings.filterwarnings("ignore", "No directory at", UserWarning)
