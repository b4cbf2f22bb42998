from django.urls import path, register_converter

from . import views


class FourDigitYear:
    regex = r"[0-9]{4}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):04d}"


class TwoDigit:
    regex = r"[0-9]{2}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):02d}"


register_converter(FourDigitYear, "yyyy")
register_converter(TwoDigit, "mm")

app_name = "bulletins"
urlpatterns = [
    path("", views.LatestBulletinView.as_view(), name="home"),
    path(
        "<yyyy:year>/<mm:month>/<mm:day>/",
        views.BulletinDetailView.as_view(),
        name="bulletin_detail",
    ),
    path("items/<int:pk>/", views.ItemDetailView.as_view(), name="item_detail"),
    path("sections/<slug:slug>/", views.SectionDetailView.as_view(), name="section_detail"),
    path("entities/<str:slug>/", views.EntityDetailView.as_view(), name="entity_detail"),
]
