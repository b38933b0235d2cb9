"""Envelopes as the real sentry-sdk sends them, for the ingest benchmark (bench/ingest.py).

The SDK's own HTTP transport serialises and compresses each envelope (brotli, as it does
whenever the brotli module is importable); only the last step, the POST, is replaced by
keeping the body and the headers. The events vary as an application's do: ten exception
types raised from different call paths (so different in-app frames), messages, 500 users,
three environments, five releases, tags, breadcrumbs and local variables: about 5 KB each
before compression.
"""

import random

import sentry_sdk
from sentry_sdk.transport import HttpTransport

ENVIRONMENTS = ("production", "staging", "development")
RELEASES = tuple(f"shop@2.{minor}.0" for minor in range(5))
USERS = 500
SERVERS = tuple(f"web-{number}" for number in range(8))
ROUTES = ("/checkout", "/cart", "/search", "/account", "/orders/{id}")


class Recorded(HttpTransport):
    """The SDK's transport up to the request itself: what it would POST is kept."""

    def __init__(self, options):
        super().__init__(options)
        self.sent: list[tuple[bytes, dict]] = []

    def _send_request(self, body, headers, endpoint_type=None, envelope=None):
        self._update_headers(headers)
        self.sent.append((body, dict(headers)))


class PaymentDeclined(Exception):
    pass


class StockMissing(Exception):
    pass


class AddressInvalid(ValueError):
    pass


def _charge(order: dict) -> None:
    amount = order["total"]
    raise PaymentDeclined(f"card ending {order['card']} declined for {amount:.2f} EUR")


def _reserve(order: dict) -> None:
    missing = [line for line in order["lines"] if line["stock"] < line["quantity"]]
    raise StockMissing(f"{len(missing)} line(s) out of stock in warehouse {order['warehouse']}")


def _validate(order: dict) -> None:
    raise AddressInvalid(f"postcode {order['postcode']!r} is not valid for {order['country']}")


def _lookup(order: dict) -> None:
    return order["coupons"][order["coupon"]]  # KeyError


def _parse(order: dict) -> None:
    int(order["quantity_text"])  # ValueError


def _divide(order: dict) -> None:
    return order["total"] / order["items_shipped"]  # ZeroDivisionError


def _attribute(order: dict) -> None:
    return order["customer"].loyalty_tier  # AttributeError


def _index(order: dict) -> None:
    return order["lines"][len(order["lines"]) + 3]  # IndexError


def _type(order: dict) -> None:
    return order["total"] + order["postcode"]  # TypeError


def _timeout(order: dict) -> None:
    raise TimeoutError(f"payment gateway did not answer within {order['timeout']} s")


FAILURES = (_charge, _reserve, _validate, _lookup, _parse, _divide, _attribute, _index, _type)
FAILURES += (_timeout,)


def _order(rng: random.Random) -> dict:
    lines = [
        {"sku": f"SKU-{rng.randrange(10_000):05d}", "quantity": rng.randrange(1, 5), "stock": 0}
        for _ in range(rng.randrange(1, 6))
    ]
    return {
        "id": rng.randrange(1_000_000),
        "total": rng.uniform(5, 500),
        "card": f"{rng.randrange(10_000):04d}",
        "lines": lines,
        "warehouse": rng.choice(("north", "south", "east")),
        "postcode": f"{rng.randrange(100_000):05d}x",
        "country": rng.choice(("DE", "FR", "NL", "PL")),
        "coupons": {},
        "coupon": f"SAVE{rng.randrange(50)}",
        "quantity_text": "two",
        "items_shipped": 0,
        "customer": None,
        "timeout": rng.choice((5, 10, 30)),
    }


def _handle(order: dict, failure) -> None:
    """One more in-app frame above the failure, as a view calling a service would."""
    failure(order)


def sdk_envelopes(dsn: str, count: int, *, seed: int = 7) -> list[tuple[bytes, dict]]:
    """`count` envelopes of one event each, with the headers the SDK sends them with."""
    rng = random.Random(seed)
    client = sentry_sdk.Client(
        dsn=dsn,
        transport=Recorded,
        default_integrations=False,
        auto_enabling_integrations=False,
        include_local_variables=True,
        max_breadcrumbs=20,
        # Every envelope is one event: no session or client-report envelopes in between.
        auto_session_tracking=False,
        send_client_reports=False,
    )
    transport = client.transport
    try:
        for number in range(count):
            with sentry_sdk.new_scope() as scope:
                scope.set_client(client)
                scope.set_user({"id": str(rng.randrange(USERS)), "ip_address": "10.0.0.1"})
                scope.set_tag("server", rng.choice(SERVERS))
                scope.set_tag("route", rng.choice(ROUTES))
                scope.set_tag("payment.provider", rng.choice(("stripe", "adyen", "paypal")))
                scope.set_context("order", {"number": number, "channel": "web"})
                for step in range(rng.randrange(1, 5)):
                    sentry_sdk.add_breadcrumb(
                        category="http", message=f"GET /api/step/{step}", level="info"
                    )
                client.options["environment"] = rng.choice(ENVIRONMENTS)
                client.options["release"] = rng.choice(RELEASES)
                if rng.random() < 0.1:
                    sentry_sdk.capture_message(
                        f"Inventory sync lagging by {rng.randrange(1, 600)} s", level="warning"
                    )
                else:
                    order = _order(rng)
                    try:
                        _handle(order, rng.choice(FAILURES))
                    except Exception:
                        sentry_sdk.capture_exception()
            if number % 50 == 49:
                client.flush(timeout=30)
        client.flush(timeout=30)
    finally:
        client.close(timeout=30)
    if len(transport.sent) != count:
        raise RuntimeError(f"the SDK sent {len(transport.sent)} envelopes, not {count}")
    return transport.sent
