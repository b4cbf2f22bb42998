"""The project's URLs plus the benchmark's hello-world view (see ``_http_settings``)."""

import os

from django.http import HttpResponse
from django.urls import include, path


def hello(request):
    return HttpResponse("Hello, world")


def worker_header(get_response):
    pid = str(os.getpid())

    def middleware(request):
        response = get_response(request)
        response["X-Bench-Worker"] = pid
        return response

    return middleware


urlpatterns = [path("bench/hello/", hello), path("", include("newsroom.urls"))]
