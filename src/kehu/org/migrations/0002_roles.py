"""Create the staff roles as groups with their permissions (a frozen copy of the grants at this point).

Kept so that the migration history runs; the role groups are now built from every app's grants by
``kehu.org.services.sync_roles`` after each migrate."""

from django.db import migrations

ROLE_PERMISSIONS = {'account_manager': ['customers.add_consent',
                     'customers.add_contact',
                     'customers.add_customer',
                     'customers.change_contact',
                     'customers.change_customer',
                     'customers.delete_contact',
                     'customers.view_consent',
                     'customers.view_contact',
                     'customers.view_customer',
                     'customers.view_personal_data',
                     'purchases.add_transaction',
                     'purchases.view_category',
                     'purchases.view_product',
                     'purchases.view_transaction'],
 'administrator': ['customers.add_consent',
                   'customers.add_contact',
                   'customers.add_customer',
                   'customers.change_contact',
                   'customers.change_customer',
                   'customers.delete_contact',
                   'customers.delete_customer',
                   'customers.transfer_customer',
                   'customers.view_consent',
                   'customers.view_contact',
                   'customers.view_customer',
                   'customers.view_personal_data',
                   'customers.view_personaldataaccess',
                   'purchases.add_category',
                   'purchases.add_product',
                   'purchases.add_transaction',
                   'purchases.change_category',
                   'purchases.change_product',
                   'purchases.change_transaction',
                   'purchases.view_category',
                   'purchases.view_product',
                   'purchases.view_transaction'],
 'auditor': ['customers.view_consent',
             'customers.view_contact',
             'customers.view_customer',
             'customers.view_historicalcustomer',
             'customers.view_personaldataaccess',
             'purchases.view_category',
             'purchases.view_product',
             'purchases.view_transaction'],
 'branch_manager': ['customers.add_consent',
                    'customers.add_contact',
                    'customers.add_customer',
                    'customers.change_contact',
                    'customers.change_customer',
                    'customers.delete_contact',
                    'customers.transfer_customer',
                    'customers.view_consent',
                    'customers.view_contact',
                    'customers.view_customer',
                    'customers.view_personal_data',
                    'purchases.add_transaction',
                    'purchases.view_category',
                    'purchases.view_product',
                    'purchases.view_transaction'],
 'credit_officer': ['customers.view_consent',
                    'customers.view_contact',
                    'customers.view_customer',
                    'customers.view_personal_data',
                    'purchases.view_category',
                    'purchases.view_product',
                    'purchases.view_transaction'],
 'marketer': ['customers.view_consent',
              'customers.view_contact',
              'customers.view_customer',
              'purchases.view_category',
              'purchases.view_product',
              'purchases.view_transaction'],
 'service_agent': ['customers.add_consent',
                   'customers.view_consent',
                   'customers.view_contact',
                   'customers.view_customer',
                   'purchases.view_category',
                   'purchases.view_product',
                   'purchases.view_transaction']}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # permissions are normally created after migrate; make sure they exist for the apps we reference
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0001_initial"),
        ("customers", "0002_initial"),
        ("purchases", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
