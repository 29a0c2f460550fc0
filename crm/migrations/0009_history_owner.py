"""Stage and close-date changes carry their prospect's owner: the column, empty for now
(0010 fills it for the rows already written, then makes it required and indexes it)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


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
    ]
