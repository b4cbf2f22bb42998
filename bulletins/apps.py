from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinsConfig(AppConfig):
    name = "bulletins"
    verbose_name = _("日报")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Tracker rows follow every saved item (an editor's corrected facts show at once).
        from . import trackers

        trackers.connect()
