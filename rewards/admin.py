"""Operator views of the rewards tables. The ledger is read-only here: it is append-only."""

from django.contrib import admin

from rewards import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ("source_key", "kind", "user", "created_at")
    list_filter = ("kind",)
    search_fields = ("source_key", "user__username")


@admin.register(models.Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("transaction", "account", "amount", "created_at")


@admin.register(models.Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("kind", "user", "balance")
    list_filter = ("kind",)


@admin.register(models.Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "points", "address", "status", "epoch", "created_at")
    list_filter = ("status",)


@admin.register(models.Epoch)
class EpochAdmin(ReadOnlyAdmin):
    list_display = ("number", "status", "root", "created_at", "published_at")


@admin.register(models.ChainTx)
class ChainTxAdmin(ReadOnlyAdmin):
    list_display = ("purpose", "label", "tx_hash", "nonce", "status", "block_number", "updated_at")
    list_filter = ("purpose", "status")


@admin.register(models.Wallet)
class WalletAdmin(ReadOnlyAdmin):
    list_display = ("address", "user", "linked_at")
    search_fields = ("address", "user__username")
