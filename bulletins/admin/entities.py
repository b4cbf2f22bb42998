"""Admin for the gazetteer: entities and their aliases."""

from django.contrib import admin

from ..models import Entity, EntityAlias


class EntityAliasInline(admin.TabularInline):
    model = EntityAlias
    extra = 1


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "type", "slug", "parent"]
    list_filter = ["type"]
    search_fields = ["name", "name_en", "aliases__alias", "slug"]
    autocomplete_fields = ["parent"]
    inlines = [EntityAliasInline]
