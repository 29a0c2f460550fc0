"""Stage and close-date changes carry their prospect's owner (filled here for the rows
already written; made required, and indexed with the time, in the next migration, a
separate transaction, since PostgreSQL refuses to alter a table with the deferred
foreign-key checks of these updates still pending)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_owner(apps, schema_editor):
    prospect = apps.get_model("crm", "Prospect")
    owner = Subquery(prospect.objects.filter(pk=OuterRef("prospect_id")).values("owner_id")[:1])
    for name in ("StageChange", "CloseDateChange"):
        apps.get_model("crm", name).objects.update(owner_id=owner)


OWNER = models.ForeignKey(
    db_index=False,
    editable=False,
    help_text="The prospect's owner (copied by the services).",
    null=True,
    on_delete=django.db.models.deletion.PROTECT,
    related_name="+",
    to=settings.AUTH_USER_MODEL,
)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0008_prospect_furthest_stage"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(model_name="stagechange", name="owner", field=OWNER),
        migrations.AddField(model_name="closedatechange", name="owner", field=OWNER.clone()),
        migrations.RunPython(fill_owner, migrations.RunPython.noop),
    ]
