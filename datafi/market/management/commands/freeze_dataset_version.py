"""Freeze a new version of a dataset product, with a progress bar: for large datasets,
whose freeze takes minutes (bench/market.py: about 8 minutes over 1,000,000 votes), too
long for the admin's request. The version then awaits review in the admin as usual."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from datafi.errors import ApiError
from datafi.market import selectors, services
from datafi.progress import progress_bar


class Command(BaseCommand):
    help = "Freeze a new version of a dataset (rows, PII scrub, root) for the operator's review."

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="the dataset's slug")
        parser.add_argument(
            "--operator", required=True, help="the operator's user name (recorded as frozen_by)"
        )

    def handle(self, *args, dataset, operator, **options):
        product = selectors.product_by_slug(slug=dataset)
        if product is None:
            raise CommandError(f"no dataset {dataset!r}")
        user = get_user_model().objects.filter(username=operator, is_staff=True).first()
        if user is None:
            raise CommandError(f"no operator (staff user) {operator!r}")
        total = services.product_votes_count(product_id=product.pk)
        with progress_bar(self.stderr, total=total, desc="votes read", unit="vote") as bar:
            try:
                version = services.version_freeze(
                    product_id=product.pk,
                    operator=user,
                    on_progress=lambda done: bar.update(done - bar.n),
                )
            except ApiError as exc:
                raise CommandError(str(exc.detail)) from None
        self.stdout.write(
            f"{version}: {version.row_count:,} rows frozen, root {version.root}; "
            "read its PII report in the admin, then approve or discard it"
        )
