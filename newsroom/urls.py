from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from bulletins import preview
from bulletins.admin import importing

urlpatterns = [
    path(
        "admin/bulletins/import/",
        admin.site.admin_view(importing.import_view),
        name="bulletin_import",
    ),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("bulletins.api.urls")),
    path("preview/<str:token>/", preview.shared_preview, name="bulletin_share_preview"),
    path("", include("distribution.urls")),
    path("", include("bulletins.urls")),
]

if settings.DEBUG:
    urlpatterns += [
        path(
            f"{settings.MEDIA_URL.strip('/')}/<path:path>",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        ),
    ]
