"""Editorial roles as groups (with their admin permissions), the default sections and settings."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = "view"
MODELS = [
    "bulletin", "item", "itementity", "section", "entity", "entityalias",
    "transition", "itemrevision", "correction", "publicationsettings",
]
ROLE_PERMISSIONS = {
    "编辑": {
        "bulletin": ["view", "add", "change"],
        "item": ["view", "add", "change"],
        "itementity": ["view", "add", "change", "delete"],
        "entity": ["view", "add"],  # editors suggest entities; the chief editor curates them
        "entityalias": ["view", "add"],
        "section": ["view"],
        "transition": ["view"],
        "itemrevision": ["view"],
        "correction": ["view"],
    },
    "审核": {
        "bulletin": ["view"],
        "item": ["view"],
        "itementity": ["view"],
        "entity": ["view"],
        "entityalias": ["view"],
        "section": ["view"],
        "transition": ["view"],
        "itemrevision": ["view"],
        "correction": ["view"],
    },
    "主编": {
        "bulletin": ["view", "add", "change"],
        "item": ["view", "add", "change"],
        "itementity": ["view", "add", "change", "delete"],
        "entity": ["view", "add", "change", "delete"],
        "entityalias": ["view", "add", "change", "delete"],
        "section": ["view", "add", "change"],
        "transition": ["view"],
        "itemrevision": ["view"],
        "correction": ["view"],
        "publicationsettings": ["view", "change"],
    },
}
SECTIONS = [("企业动态", "company-news", 1), ("产业动态", "industry-news", 2)]


def forwards(apps, schema_editor):
    app_config = apps.get_app_config("bulletins")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [f"{action}_{model}" for model, actions in grants.items() for action in actions]
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="bulletins", codename__in=codenames)
        )
    Section = apps.get_model("bulletins", "Section")
    for name, slug, position in SECTIONS:
        Section.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})
    PublicationSettings = apps.get_model("bulletins", "PublicationSettings")
    PublicationSettings.objects.get_or_create(pk=1)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("bulletins", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
