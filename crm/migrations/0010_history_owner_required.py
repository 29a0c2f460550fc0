"""Every stage and close-date change has its owner (filled by 0009); a team's changes of
a period are read by (owner, changed_at)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0009_history_owner'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
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
