"""The market's buying API for provider organisations: order a published version (a
signed quote and the wallet's two calls), follow the order until the chain's payment is
confirmed, and mint test dollars where the payment token is the test one.

Downloads of a bought version go through the provider API's export endpoint
(``GET /api/v1/datasets/export?dataset=...&version=...``). Views parse, call one flow,
render.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from datafi.accounts.authentication import principal_for
from datafi.api import ApiError
from datafi.flows import market as market_flow
from datafi.market import selectors
from evals.provider.api import (
    AUTH_ERRORS,
    ProviderApiView,
    StrictSlugField,
    errors,
    organization_for_write,
    validated_body,
)
from evals.provider.live_api import StrictIntegerField

ADDRESS = serializers.RegexField(
    r"^0x[0-9a-fA-F]{40}$",
    max_length=42,
    help_text="An Ethereum address (0x and 40 hex digits).",
    error_messages={"invalid": _lazy("An Ethereum address is 0x and 40 hex digits.")},
)


class CallSerializer(serializers.Serializer):
    to = serializers.CharField(help_text="The contract to call.")
    data = serializers.CharField(help_text="The call's data (hex).")


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    dataset = serializers.CharField(source="version.product.slug")
    version = serializers.IntegerField(source="version.number")
    organization = serializers.CharField(source="organization.slug")
    method = serializers.CharField()
    status = serializers.CharField(help_text="awaiting, paid or expired.")
    amount = serializers.CharField(help_text="In the currency's smallest unit, as a string.")
    decimals = serializers.IntegerField()
    currency = serializers.CharField()
    order_id = serializers.CharField()
    buyer_address = serializers.CharField()
    network = serializers.CharField()
    market_address = serializers.CharField()
    token_address = serializers.CharField()
    deadline = serializers.IntegerField(allow_null=True, help_text="Unix time (the chain's).")
    tx_hash = serializers.CharField()
    block_number = serializers.IntegerField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)


class PlacedOrderSerializer(OrderSerializer):
    calls = CallSerializer(many=True, help_text="Send in order from the buyer address.")
    token_symbol = serializers.CharField()


class OrderDetailSerializer(OrderSerializer):
    calls = CallSerializer(
        many=True,
        allow_null=True,
        help_text=(
            "The same two calls as when the order was placed (approve, then purchase), to "
            "send in order from the buyer address, while the order is `awaiting` and its "
            "quote can still be paid on the chain's clock (up to `deadline`). An empty "
            "list once it cannot: paid, expired, or past its deadline. Null when the "
            "chain cannot be read just now: ask again shortly."
        ),
    )


def _order(purchase, **extra) -> dict:
    data = dict(OrderSerializer(purchase).data)
    data["amount"] = str(purchase.amount)
    data.update(extra)
    return data


class OrderListView(ProviderApiView):
    required_scopes = {"POST": "market:buy", "GET": "market:buy"}

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "OrderInput"

        dataset = StrictSlugField(max_length=80)
        version = StrictIntegerField(min_value=1, max_value=2**31 - 1)
        buyer_address = ADDRESS
        organization = StrictSlugField(max_length=60, required=False)

    @extend_schema(
        operation_id="market_orders_create",
        description=(
            "Order a published dataset version. The answer carries a quote signed for the "
            "buyer address and the two calls its wallet sends in order: `approve` the market "
            "for the amount in the payment token, then `purchase`. The order is stored before "
            "anything is paid; once the payment has its confirmations the order is `paid` and "
            "the organisation's keys can download the version."
        ),
        request=InputSerializer,
        responses={
            201: PlacedOrderSerializer,
            **errors(400, 403, 404, 409, 503, *AUTH_ERRORS),
        },
        tags=["market"],
    )
    def post(self, request):
        data = validated_body(self.InputSerializer, request)
        principal = principal_for(request)
        org = organization_for_write(principal, data.get("organization"))
        order = market_flow.order_place(
            organization_id=org.pk,
            user=request.user,
            product_slug=data["dataset"],
            number=data["version"],
            buyer_address=data["buyer_address"],
        )
        body = _order(order.purchase, calls=order.calls, token_symbol=order.token_symbol)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="market_orders_list",
        description="Your organisations' orders and purchases, newest first (200 at most).",
        responses={200: OrderSerializer(many=True), **errors(*AUTH_ERRORS)},
        tags=["market"],
    )
    def get(self, request):
        principal = principal_for(request)
        ids = principal.organization_ids
        if ids is None:
            purchases = selectors.purchases_all()
        else:
            purchases = selectors.purchases_of(organization_ids=ids)
        return Response([_order(p) for p in purchases])


class OrderDetailView(ProviderApiView):
    required_scopes = {"GET": "market:buy", "POST": "market:buy"}

    def _get(self, request, order_id: int):
        principal = principal_for(request)
        purchase = selectors.purchase_get(
            purchase_id=order_id, organization_ids=principal.organization_ids
        )
        if purchase is None:
            raise ApiError("not_found", _("No such order of yours."), 404)
        return purchase

    @extend_schema(
        operation_id="market_orders_read",
        description=(
            "One order: `awaiting` its payment, `paid`, or `expired` unpaid. While it "
            "awaits its payment and its quote is valid, `calls` gives again the two calls "
            "its wallet sends (as when it was placed): a buyer who lost them need not wait "
            "for the quote to expire to pay."
        ),
        responses={200: OrderDetailSerializer, **errors(404, *AUTH_ERRORS)},
        tags=["market"],
    )
    def get(self, request, order_id: int):
        return Response(self._detail(self._get(request, order_id)))

    @staticmethod
    def _detail(purchase) -> dict:
        return _order(purchase, calls=market_flow.order_calls(purchase=purchase))

    @extend_schema(
        operation_id="market_orders_check",
        description=(
            "Look for the order's payment on the chain now where the server runs the market's "
            "pass on demand (the embedded chain); elsewhere the market's worker does, every "
            "few seconds. Then answer as GET does."
        ),
        request=None,
        responses={200: OrderDetailSerializer, **errors(404, 503, *AUTH_ERRORS)},
        tags=["market"],
    )
    def post(self, request, order_id: int):
        self._get(request, order_id)
        if settings.REWARD_WORKER_ON_DEMAND:
            market_flow.market_tick()
        return Response(self._detail(self._get(request, order_id)))


class TestDollarsView(ProviderApiView):
    required_scopes = {"POST": "market:buy"}
    AMOUNT_USD = 1000

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TestDollarsInput"

        address = ADDRESS

    class OutputSerializer(serializers.Serializer):
        tx_hash = serializers.CharField()
        amount_usd = serializers.IntegerField()

    @extend_schema(
        operation_id="market_test_dollars",
        description=(
            "Mint 1,000 test dollars (tUSD) to an address, to try a purchase. Only where the "
            "payment token is the test one (the embedded chain, anvil); 409 elsewhere."
        ),
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 409, 503, *AUTH_ERRORS)},
        tags=["market"],
    )
    def post(self, request):
        data = validated_body(self.InputSerializer, request)
        tx_hash = market_flow.test_dollars(address=data["address"], amount=self.AMOUNT_USD * 10**6)
        return Response(
            {"tx_hash": tx_hash, "amount_usd": self.AMOUNT_USD}, status=status.HTTP_201_CREATED
        )
