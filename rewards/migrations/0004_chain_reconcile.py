# A node that comes back behind the database: dropped transactions release their
# nonce, settlements remember their block and can be reopened.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('rewards', '0003_epoch_publish_owner'),
    ]

    operations = [
        migrations.AlterField(
            model_name='ledgertransaction',
            name='kind',
            field=models.CharField(choices=[('award', 'Points awarded'), ('redeem', 'Redemption requested (to escrow)'), ('cancel', 'Redemption cancelled (back from escrow)'), ('settle', 'Redemption paid on chain'), ('reopen', 'Payment no longer on chain (back to escrow)')], max_length=10),
        ),
        migrations.AlterField(
            model_name='chaintx',
            name='status',
            field=models.CharField(choices=[('signed', 'Signed, not yet seen by the node'), ('sent', 'Broadcast, waiting for a receipt'), ('mined', 'Mined, waiting for confirmations'), ('confirmed', 'Confirmed'), ('reverted', 'Reverted'), ('dropped', 'Dropped: no longer on chain, nonce released')], default='signed', max_length=10),
        ),
        migrations.RemoveConstraint(
            model_name='chaintx',
            name='rewards_chain_tx_one_per_nonce',
        ),
        migrations.AddConstraint(
            model_name='chaintx',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'dropped'), _negated=True), fields=('network', 'sender', 'nonce'), name='rewards_chain_tx_one_live_per_nonce'),
        ),
        migrations.AddField(
            model_name='redemption',
            name='claim_block',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='redemption',
            name='reopened',
            field=models.PositiveIntegerField(default=0),
        ),
    ]
