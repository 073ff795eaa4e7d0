from django.db import migrations

DOCUMENTS_SCHEDULE = "Suppression des documents des foyers partis"
ACCOUNT_REQUESTS_SCHEDULE = "Suppression des demandes de compte refusées ou sans réponse"


def create_schedules(apps, schema_editor):
    """Every day, delete the documents of households gone for DOCUMENT_RETENTION_MONTHS months and
    the account requests refused or unanswered for ACCOUNT_REQUEST_RETENTION_DAYS days."""
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func in ((DOCUMENTS_SCHEDULE, "core.tasks.purge_departed_documents"),
                       (ACCOUNT_REQUESTS_SCHEDULE, "core.tasks.purge_account_requests")):
        Schedule.objects.update_or_create(name=name, defaults={"func": func, "schedule_type": "D", "repeats": -1})


def delete_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(
        name__in=[DOCUMENTS_SCHEDULE, ACCOUNT_REQUESTS_SCHEDULE]).delete()


# The privacy page's retention list, already installed by earlier versions, gains the two new
# periods just before its invoices line (a page whose line staff rewrote is left alone).
INVOICES_LINE = "- Les factures émises et les paiements sont conservés"
NEW_LINES = (
    "- Les pièces justificatives (attestations, certificats…) sont supprimées [durée de conservation des documents] "
    "après le départ du foyer.\n"
    "- Une demande « Créer mon compte famille » refusée ou restée sans réponse est supprimée après "
    "[durée de conservation des demandes de compte].\n"
)


def state_retention_on_privacy_page(apps, schema_editor):
    PublicPage = apps.get_model("core", "PublicPage")
    for page in PublicPage.objects.filter(slug="donnees-personnelles"):
        body = page.body.replace("\r\n", "\n")
        if INVOICES_LINE in body and "[durée de conservation des documents]" not in body:
            page.body = body.replace(INVOICES_LINE, NEW_LINES + INVOICES_LINE, 1)
            page.save(update_fields=["body"])


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0021_merge_reference_data_version"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.RunPython(create_schedules, delete_schedules),
        migrations.RunPython(state_retention_on_privacy_page, migrations.RunPython.noop),
    ]
