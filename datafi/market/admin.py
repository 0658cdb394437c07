"""The operator's market steps in the admin: define a dataset, freeze a version, read its
PII report, approve or discard it, publish it (register its root on chain)."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from datafi.accounts import selectors as account_selectors
from datafi.errors import ApiError
from datafi.market import models, selectors, services


def _report(request, done: list[str], failed: list[str]) -> None:
    if done:
        messages.success(request, "; ".join(done))
    for text in failed:
        messages.error(request, text)


@admin.register(models.DatasetProduct)
class DatasetProductAdmin(admin.ModelAdmin):
    list_display = ("slug", "title", "licence", "price_amount", "price_currency", "created_at")
    search_fields = ("slug", "title")
    readonly_fields = ("created_by", "created_at")
    actions = ["freeze_version"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Freeze a new version (rows, PII scrub, root) for review"))
    def freeze_version(self, request, queryset):
        done, failed = [], []
        for product in queryset:
            votes = services.product_votes_count(product_id=product.pk)
            if votes > settings.MARKET_ADMIN_FREEZE_MAX_VOTES:
                # Minutes of work: more than a web request may take (the proxy gives up).
                failed.append(
                    _(
                        "%(product)s matches %(votes)s votes: freezing it takes minutes, "
                        "longer than a page may wait. Run it on a worker host, with a progress "
                        "bar: manage.py freeze_dataset_version %(slug)s --operator %(operator)s"
                    )
                    % {
                        "product": product.slug,
                        "votes": f"{votes:,}",
                        "slug": product.slug,
                        "operator": request.user.username,
                    }
                )
                continue
            try:
                version = services.version_freeze(product_id=product.pk, operator=request.user)
            except ApiError as exc:
                failed.append(f"{product.slug}: {exc.detail}")
            else:
                done.append(
                    f"{version}: {version.row_count} rows frozen; read its PII report, "
                    "then approve or discard it"
                )
        _report(request, done, failed)


@admin.register(models.DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "row_count", "root", "block_number", "frozen_at")
    list_filter = ("status", "product")
    actions = ["approve", "discard", "publish", "follow"]
    exclude = ("metadata",)
    readonly_fields = (
        "product",
        "number",
        "status",
        "row_format",
        "row_count",
        "root",
        "metadata_hash",
        "dedup",
        "scrub_counts",
        "pii_report",
        "card",
        "frozen_at",
        "frozen_by",
        "reviewed_by",
        "reviewed_at",
        "review_note",
        "network",
        "tx_hash",
        "block_number",
        "published_at",
        "last_error",
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # frozen: read it, and act on it with the actions

    @admin.display(description=_("Dataset card"))
    def card(self, obj):
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", obj.metadata["card"])

    @admin.display(description=_("PII report"))
    def pii_report(self, obj):
        report = selectors.version_scrub_report(version=obj)
        if not report["by_kind"]:
            return _("Nothing was masked.")
        totals = format_html_join(", ", "{} {}", sorted(report["by_kind"].items()))
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (i["kind"], i["count"], i["field"], i["battle_id"], i["excerpt"])
                for i in report["items"]
            ),
        )
        return format_html(
            "<p>Masked: {} in {} rows (the excerpts show the masked text only).</p>"
            "<table><tr><th>kind</th><th>n</th><th>field</th><th>battle</th><th>excerpt</th>"
            "</tr>{}</table>",
            totals,
            report["rows_with_findings"],
            rows,
        )

    def _review(self, request, queryset, approve: bool):
        done, failed = [], []
        for version in queryset:
            try:
                services.version_review(
                    version_id=version.pk,
                    operator=request.user,
                    approve=approve,
                    note="reviewed in the admin after reading the PII report",
                )
            except ApiError as exc:
                failed.append(f"{version}: {exc.detail}")
            else:
                done.append(f"{version}: {'approved' if approve else 'discarded'}")
        _report(request, done, failed)

    @admin.action(description=_("Approve (I read the PII report)"))
    def approve(self, request, queryset):
        self._review(request, queryset, True)

    @admin.action(description=_("Discard (will never be published)"))
    def discard(self, request, queryset):
        self._review(request, queryset, False)

    @admin.action(description=_("Publish: record the root on chain"))
    def publish(self, request, queryset):
        from datafi.flows import market as market_flow

        done, failed = [], []
        for version in queryset:
            try:
                version = market_flow.version_publish(version_id=version.pk)
            except ApiError as exc:
                failed.append(f"{version}: {exc.detail}")
            else:
                done.append(f"{version}: {version.get_status_display()}")
        _report(request, done, failed)

    @admin.action(description=_("Follow the registration (confirmations)"))
    def follow(self, request, queryset):
        from datafi.flows import market as market_flow

        done = [
            f"{v}: {v.get_status_display()}"
            for v in (market_flow.version_follow(version_id=x.pk) for x in queryset)
        ]
        _report(request, done, [])


@admin.register(models.DataSaleConsent)
class DataSaleConsentAdmin(admin.ModelAdmin):
    list_display = ("user", "agreed", "source", "changed_at")
    list_filter = ("agreed", "source")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # only the contributor changes it (the consent page)

    def has_delete_permission(self, request, obj=None):
        return False


class OffchainPaymentForm(forms.Form):
    version = forms.ModelChoiceField(
        queryset=models.DatasetVersion.objects.filter(status="published").select_related("product"),
        label=_("Dataset version"),
    )
    organization = forms.ModelChoiceField(
        queryset=account_selectors.organizations_by_name(), label=_("Buyer organisation")
    )
    amount_cents = forms.IntegerField(
        min_value=1,
        max_value=services.OFFCHAIN_MAX_CENTS,
        label=_("Amount received (US cents)"),
    )
    reference = forms.CharField(
        max_length=200, label=_("Reference (invoice or transfer id, once per payment)")
    )


@admin.register(models.Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "version",
        "organization",
        "method",
        "status",
        "amount",
        "decimals",
        "currency",
        "sale_points",
        "fee_points",
        "paid_at",
    )
    list_filter = ("status", "method")
    change_list_template = "admin/market/purchase/change_list.html"

    def has_add_permission(self, request):
        return False  # an off-chain payment is recorded with its own form (below)

    def has_change_permission(self, request, obj=None):
        return False  # booked: read only

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "record-offchain/",
                self.admin_site.admin_view(self.record_offchain),
                name="market_purchase_record_offchain",
            ),
            *super().get_urls(),
        ]

    def record_offchain(self, request):
        from datafi.flows import market as market_flow

        form = OffchainPaymentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                purchase = market_flow.payment_record_offchain(
                    operator=request.user,
                    version_id=form.cleaned_data["version"].pk,
                    organization_id=form.cleaned_data["organization"].pk,
                    amount_cents=form.cleaned_data["amount_cents"],
                    reference=form.cleaned_data["reference"],
                )
            except ApiError as exc:
                form.add_error(None, exc.detail)
            else:
                messages.success(
                    request,
                    _("Recorded: %(purchase)s; %(points)s points shared among contributors.")
                    % {
                        "purchase": purchase,
                        "points": purchase.sale_points - purchase.fee_points,
                    },
                )
                return redirect("admin:market_purchase_changelist")
        return render(
            request,
            "admin/market/purchase/record_offchain.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "title": _("Record an off-chain payment"),
            },
        )


@admin.register(models.SaleShare)
class SaleShareAdmin(admin.ModelAdmin):
    list_display = ("purchase", "user", "votes", "reliability", "points")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.DownloadLog)
class DownloadLogAdmin(admin.ModelAdmin):
    list_display = ("version", "organization", "format", "api_key_id", "user", "at")
    list_filter = ("format",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
