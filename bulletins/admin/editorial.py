"""Admin for the editorial work: bulletins, items, history. Buttons call bulletins.workflow."""

from django.contrib import admin

from ..models import (
    Bulletin,
    Correction,
    Item,
    ItemEntity,
    ItemRevision,
    PublicationSettings,
    Section,
    Transition,
)


@admin.register(PublicationSettings)
class PublicationSettingsAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "dateline_pattern", "time_zone"]

    def has_add_permission(self, request):
        return not PublicationSettings.objects.exists()


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}


class ItemInline(admin.StackedInline):
    model = Item
    extra = 0
    fields = ["section", "position", "body", "headline", "headline_rank", "event_kind", "status"]
    readonly_fields = ["status"]
    ordering = ["section__position", "position"]


@admin.register(Bulletin)
class BulletinAdmin(admin.ModelAdmin):
    date_hierarchy = "issued_on"
    list_display = ["issued_on", "status", "publish_at", "updated_by", "updated_at"]
    list_filter = ["status"]
    readonly_fields = ["status", "publish_at", "version", "created_by", "updated_by"]
    inlines = [ItemInline]


class ItemEntityInline(admin.TabularInline):
    model = ItemEntity
    extra = 0
    autocomplete_fields = ["entity"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["__str__", "bulletin", "section", "status", "event_kind"]
    list_filter = ["status", "section", "event_kind"]
    list_select_related = ["bulletin", "section"]
    search_fields = ["body", "headline"]
    readonly_fields = ["status", "version", "created_by", "updated_by"]
    inlines = [ItemEntityInline]


@admin.register(Transition)
class TransitionAdmin(admin.ModelAdmin):
    list_display = ["at", "bulletin", "item", "action", "from_status", "to_status", "by"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(ItemRevision)
class ItemRevisionAdmin(admin.ModelAdmin):
    list_display = ["item", "version", "by", "at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    list_display = ["bulletin", "created_at", "note"]
