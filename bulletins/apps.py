from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinsConfig(AppConfig):
    name = "bulletins"
    verbose_name = _("日报")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import pre_save

        from .images import reencode_uploads
        from .models import Entity, Item

        # Uploaded images are stored as Pillow's re-encoding, never byte for byte.
        for model in (Item, Entity):
            pre_save.connect(reencode_uploads, sender=model, dispatch_uid=f"reencode-{model}")
