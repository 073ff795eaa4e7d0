"""Record which access link an email carries instead of the link, and mask the links that older
emails stored readable (activation, password reset, email change): anyone who could read the
email log could use them."""

import re

from django.db import migrations, models
from django.db.models import Q

# A copy of core.emails' pattern as it stood: a migration must not change with the code.
MASK = "[lien personnel masqué]"
LINK = re.compile(
    r"(?:https?://[^\s\"'<>]*?)?/(?:activer|mot-de-passe-oublie|compte/email/confirmer)/(?!envoye/)[^\s\"'<>]+"
)
PATHS = ("/activer/", "/mot-de-passe-oublie/", "/compte/email/confirmer/")


def mask_links(apps, schema_editor):
    EmailLog = apps.get_model("core", "EmailLog")
    carrying = Q()
    for path in PATHS:
        carrying |= Q(body_text__contains=path) | Q(body_html__contains=path) | Q(error__contains=path)
    for log in EmailLog.objects.filter(carrying).only("body_text", "body_html", "error").iterator(chunk_size=500):
        log.body_text = LINK.sub(MASK, log.body_text)
        log.body_html = LINK.sub(MASK, log.body_html)
        log.error = LINK.sub(MASK, log.error)
        log.save(update_fields=["body_text", "body_html", "error"])


class Migration(migrations.Migration):
    dependencies = [("core", "0011_move_payfip_simulator")]

    operations = [
        migrations.AddField(
            model_name="emaillog",
            name="access_link",
            field=models.JSONField(blank=True, editable=False, null=True, verbose_name="lien d'accès"),
        ),
        migrations.RunPython(mask_links, migrations.RunPython.noop, elidable=True),
    ]
