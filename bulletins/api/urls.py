from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import views

app_name = "api"

router = SimpleRouter()
router.register("bulletins", views.BulletinViewSet, basename="bulletin")
router.register("items", views.ItemViewSet, basename="item")
router.register("entities", views.EntityViewSet, basename="entity")
router.register("sections", views.SectionViewSet, basename="section")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("auth/token/", views.TokenView.as_view(), name="token"),
    *router.urls,
]
