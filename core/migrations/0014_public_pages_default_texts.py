from django.db import migrations


def load_default_texts(apps, schema_editor):
    """The French default texts; staff adapt them in the admin (« Pages réglementaires »)."""
    from core.services.public_pages import DEFAULT_PAGES

    PublicPage = apps.get_model("core", "PublicPage")
    for slug, (title, body) in DEFAULT_PAGES.items():
        PublicPage.objects.get_or_create(slug=str(slug), defaults={"title": title, "body": body})


def sync_roles(apps, schema_editor):
    """The gestionnaire edits the pages' text (core.services.roles)."""
    from django.contrib.auth.management import create_permissions

    from core.services.roles import roles_sync

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("core", "0013_public_pages")]

    operations = [
        migrations.RunPython(load_default_texts, migrations.RunPython.noop),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
