"""Administrators and branch managers may start scoring runs (scoring.run_scoring)."""

from django.db import migrations

GRANTS = {"administrator": ["scoring.run_scoring"], "branch_manager": ["scoring.run_scoring"]}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group, _created = Group.objects.get_or_create(name=role)
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                for group in Group.objects.filter(name=role):
                    group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [("org", "0002_roles"), ("scoring", "0001_initial")]

    operations = [migrations.RunPython(grant, revoke)]
