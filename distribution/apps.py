from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistributionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "distribution"
    verbose_name = _("订阅与分发")
