from django.urls import path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import views

app_name = "api"

router = SimpleRouter()
router.register("bulletins", views.BulletinViewSet, basename="bulletin")
router.register("items", views.ItemViewSet, basename="item")
router.register("entities", views.EntityViewSet, basename="entity")
router.register("sections", views.SectionViewSet, basename="section")

# Swagger UI and ReDoc run from local static files (drf-spectacular-sidecar): their one
# inline script carries the nonce (templates/drf_spectacular/); both insert <style>
# elements at run time (ReDoc through styled-components, which takes no nonce) and ReDoc
# starts a worker from a blob: URL. Nothing from another origin.
DOCS_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        csp_override(DOCS_CSP)(SpectacularSwaggerView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path(
        "redoc/",
        csp_override(DOCS_CSP)(SpectacularRedocView.as_view(url_name="api:schema")),
        name="redoc",
    ),
    path("auth/token/", views.TokenView.as_view(), name="token"),
    *router.urls,
]
