"""Every stage and close-date change gets its prospect's owner (any row without one: all
those written before 0009, and any written since by a process still running the earlier
code), then the column is required; a team's changes of a period are read by
(owner, changed_at)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_missing_owner(apps, schema_editor):
    prospect = apps.get_model("crm", "Prospect")
    owner = Subquery(prospect.objects.filter(pk=OuterRef("prospect_id")).values("owner_id")[:1])
    for name in ("StageChange", "CloseDateChange"):
        apps.get_model("crm", name).objects.filter(owner__isnull=True).update(owner_id=owner)
    if schema_editor.connection.vendor == "postgresql":
        # Check the updated foreign keys now: PostgreSQL alters no table with checks pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0009_history_owner'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(fill_missing_owner, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='closedatechange',
            name='owner',
            field=models.ForeignKey(db_index=False, editable=False, help_text="The prospect's owner (copied by the services).", on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='stagechange',
            name='owner',
            field=models.ForeignKey(db_index=False, editable=False, help_text="The prospect's owner (copied by the services).", on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='closedatechange',
            index=models.Index(fields=['owner', 'changed_at'], name='closedate_owner_at'),
        ),
        migrations.AddIndex(
            model_name='stagechange',
            index=models.Index(fields=['owner', 'changed_at'], name='stagechange_owner_at'),
        ),
    ]
