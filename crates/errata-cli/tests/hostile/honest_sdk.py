"""The honest client of the hostile tests: the official Python sentry-sdk sends one event.

usage: DSN=http://key@127.0.0.1:PORT/ID python honest_sdk.py LABEL

Started by `tests/hostile` while an attack runs. The SDK's own HTTP transport is kept;
a subclass only times each request it makes (from just before urllib3 is called to the
answer's status) and records the status and the rate-limit headers. One JSON line is
printed on stdout: {"label", "event_id", "requests": [{"status", "elapsed_ms",
"rate_limits", "retry_after", "error"}], "disabled": [categories the SDK now backs off]}.
"""

import json
import os
import sys
import time

import sentry_sdk
from sentry_sdk.transport import HttpTransport

REQUESTS = []


class TimedTransport(HttpTransport):
    # A bounded wait: the test must end even if the server never answers.
    TIMEOUT = 10

    def _request(self, method, endpoint_type, body, headers):
        start = time.perf_counter()
        record = {"status": None, "elapsed_ms": None, "rate_limits": None,
                  "retry_after": None, "error": None}
        REQUESTS.append(record)
        try:
            response = super()._request(method, endpoint_type, body, headers)
        except Exception as e:  # recorded, then the SDK handles it as usual
            record["elapsed_ms"] = (time.perf_counter() - start) * 1000.0
            record["error"] = repr(e)
            raise
        record["elapsed_ms"] = (time.perf_counter() - start) * 1000.0
        record["status"] = response.status
        record["rate_limits"] = response.headers.get("x-sentry-rate-limits")
        record["retry_after"] = response.headers.get("retry-after")
        return response


def main():
    label = sys.argv[1] if len(sys.argv) > 1 else "honest"
    sentry_sdk.init(
        dsn=os.environ["DSN"],
        transport=TimedTransport,
        default_integrations=False,
        send_client_reports=False,
        release="honest@1.0.0",
        environment="production",
    )
    event_id = sentry_sdk.capture_message(f"honest event during {label}", level="error")
    client = sentry_sdk.get_client()
    transport = client.transport
    sentry_sdk.flush(timeout=20)
    disabled = sorted(str(k) for k in getattr(transport, "_disabled_until", {}).keys())
    print(json.dumps({"label": label, "event_id": event_id, "requests": REQUESTS,
                      "disabled": disabled}))
    sys.stdout.flush()
    client.close(timeout=2)


if __name__ == "__main__":
    main()
