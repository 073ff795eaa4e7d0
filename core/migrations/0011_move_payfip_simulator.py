# The PayFiP simulator's operations moved to their own app (core.payfip_simulator), which keeps the
# table core_payfipsimulatoroperation: core forgets the model in its migration state only.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0010_late_payment_results'),
        ('payfip_simulator', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name='PayfipSimulatorOperation')]),
    ]
