"""The chief editor runs distribution: subscribers, deliveries, webhook endpoints."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "主编": {
        "subscriber": ["view", "change", "delete"],
        "follow": ["view", "add", "change", "delete"],
        "delivery": ["view", "change"],
        "webhookendpoint": ["view", "add", "change", "delete"],
        "webhookdelivery": ["view", "change"],
    },
    "编辑": {"delivery": ["view"]},
}


def forwards(apps, schema_editor):
    app_config = apps.get_app_config("distribution")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, grants in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [f"{action}_{model}" for model, actions in grants.items() for action in actions]
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="distribution", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("distribution", "0001_initial"),
        ("bulletins", "0002_roles_and_defaults"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
