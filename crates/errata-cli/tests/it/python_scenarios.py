"""Drives the official Python sentry-sdk through named scenarios against the DSN in $DSN.

usage: DSN=http://key@127.0.0.1:PORT/ID python python_scenarios.py SCENARIO...

Used by the end-to-end tests (`sdk_python.rs`): each scenario is a real use of the
public SDK API, like those captured in ../shared/sdk-corpus/python. For every event the
SDK captures, one line `{"scenario", "label", "event_id"}` is printed on stdout so the
test can find exactly that event on the server. The SDK is flushed after each scenario.
The SDK's own scrubbing is turned off (send_default_pii and an empty denylist) so that
secrets reach the server, which must scrub them itself.
"""

import json
import os
import sys

import sentry_sdk
from sentry_sdk.envelope import Envelope, Item, PayloadRef
from sentry_sdk.scrubber import EventScrubber

DSN = os.environ["DSN"]
CURRENT = {"scenario": None}


def report(label, event_id):
    if event_id is None:
        raise SystemExit(f"{CURRENT['scenario']}/{label}: the SDK captured nothing")
    print(json.dumps({"scenario": CURRENT["scenario"], "label": label, "event_id": event_id}))
    sys.stdout.flush()


def init(**extra):
    options = dict(
        dsn=DSN,
        release="shop@1.4.2",
        environment="production",
        server_name="web-1",
        send_default_pii=True,
        event_scrubber=EventScrubber(denylist=[], pii_denylist=[], send_default_pii=True),
        default_integrations=True,
    )
    options.update(extra)
    sentry_sdk.init(**options)


def load_order(order_id):
    orders = {}
    return orders[order_id]


def checkout(order_id):
    return load_order(order_id)


def divide(a, b):
    return a / b


def exception_simple():
    init()
    try:
        divide(1, 0)
    except ZeroDivisionError as e:
        report("zero", sentry_sdk.capture_exception(e))


def exception_chained():
    init()
    try:
        try:
            checkout("A-17")
        except KeyError as e:
            raise ValueError("order A-17 could not be loaded") from e
    except ValueError as e:
        report("chained", sentry_sdk.capture_exception(e))


def grouping_repeat():
    init()
    for i in range(5):
        try:
            checkout(f"C-{i}")
        except KeyError as e:
            report("keyerror", sentry_sdk.capture_exception(e))
    for i in range(3):
        try:
            divide(i, 0)
        except ZeroDivisionError as e:
            report("zero", sentry_sdk.capture_exception(e))


def fingerprint():
    init()
    with sentry_sdk.new_scope() as scope:
        scope.fingerprint = ["{{ default }}", "tenant-7"]
        try:
            divide(1, 0)
        except ZeroDivisionError as e:
            report("tenant", sentry_sdk.capture_exception(e))
    for host in ("db-3", "db-8"):
        with sentry_sdk.new_scope() as scope:
            scope.fingerprint = ["database-unavailable"]
            report("database", sentry_sdk.capture_message(f"could not connect to {host}", level="error"))


def message_with_scope():
    init()
    sentry_sdk.set_tag("tenant", "acme")
    sentry_sdk.set_tag("region", "eu-west-1")
    sentry_sdk.set_user({"id": "42", "email": "ana@example.com", "username": "ana"})
    sentry_sdk.set_context("order", {"id": "A-17", "amount": 12.99})
    sentry_sdk.add_breadcrumb(category="auth", message="user logged in", level="info")
    report("message", sentry_sdk.capture_message("Something went wrong", level="warning"))


def flask_request():
    from flask import Flask, request
    from sentry_sdk.integrations.flask import FlaskIntegration

    init(integrations=[FlaskIntegration()], max_request_body_size="always")
    app = Flask("shop")
    holder = {}

    @app.route("/orders/<order_id>", methods=["GET", "POST"])
    def order(order_id):
        request.get_data()
        return checkout(order_id)

    def before_send(event, hint):
        holder["last"] = event.get("event_id")
        return event

    sentry_sdk.get_client().options["before_send"] = before_send
    client = app.test_client()
    client.set_cookie("session", "s3ss10n-c00k1e-value", domain="localhost")
    client.get(
        "/orders/B-9?expand=items",
        headers={"Authorization": "Bearer tok-very-secret-123", "User-Agent": "curl/8.0"},
    )
    report("get", holder.pop("last", None))
    client.post(
        "/orders/B-10",
        json={"password": "hunter2-plaintext", "amount": 12},
        headers={"Authorization": "Bearer tok-very-secret-123"},
    )
    report("post", holder.pop("last", None))


def attachment():
    init()
    sentry_sdk.get_isolation_scope().add_attachment(
        bytes=b"order_id,amount\nA-17,12.99\n", filename="order.csv", content_type="text/csv"
    )
    try:
        checkout("A-17")
    except KeyError as e:
        report("with_attachment", sentry_sdk.capture_exception(e))


def user_feedback():
    init()
    event_id = sentry_sdk.capture_message("checkout page crashed", level="info")
    report("crash", event_id)
    # sentry-sdk 2.x has no feedback API of its own (the browser SDKs send it); send the
    # `feedback` item the protocol defines through the SDK's own transport.
    feedback = {
        "event_id": "f" * 32,
        "platform": "python",
        "level": "info",
        "contexts": {
            "feedback": {
                "message": "The checkout button did nothing",
                "contact_email": "ana@example.com",
                "name": "Ana",
                "associated_event_id": event_id,
            }
        },
    }
    envelope = Envelope(headers={"event_id": "f" * 32})
    envelope.add_item(Item(payload=PayloadRef(json=feedback), type="feedback"))
    sentry_sdk.get_client().transport.capture_envelope(envelope)


def transaction():
    init(traces_sample_rate=1.0)
    with sentry_sdk.start_transaction(name="checkout", op="task"):
        with sentry_sdk.start_span(op="db", name="load order"):
            pass


def session_release_health():
    init(release="shop@1.4.3", auto_session_tracking=True)
    sentry_sdk.get_isolation_scope().start_session()
    try:
        divide(1, 0)
    except ZeroDivisionError as e:
        report("in_session", sentry_sdk.capture_exception(e))
    sentry_sdk.get_isolation_scope().end_session()


SCENARIOS = {
    fn.__name__: fn
    for fn in (
        exception_simple,
        exception_chained,
        grouping_repeat,
        fingerprint,
        message_with_scope,
        flask_request,
        attachment,
        user_feedback,
        transaction,
        session_release_health,
    )
}

if __name__ == "__main__":
    for name in sys.argv[1:] or sorted(SCENARIOS):
        CURRENT["scenario"] = name
        SCENARIOS[name]()
        sentry_sdk.flush(timeout=10)
        client = sentry_sdk.get_client()
        client.close(timeout=10)
