"""The Django admin, split by concern; importing the submodules registers their ModelAdmins."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import bulletins, entities, history, items  # noqa: F401

admin.site.site_header = _("医药健闻 编辑部")
admin.site.site_title = _("医药健闻")
admin.site.index_title = _("日报编辑")
