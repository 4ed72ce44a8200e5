"""A loopback SMTP server for errata-notify's tests (aiosmtpd).

Usage: smtp_server.py PORT OUTDIR. Prints "ready" once listening, stops when stdin closes.
Each received message is written to OUTDIR as N.eml (raw) and N.json (parsed with the
standard library: envelope, subject, from, to, content type, text and HTML parts).
Recipients starting with "reject@" get a 550 reply, "busy@" a 451.
"""
import json
import os
import sys
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject@"):
            return "550 5.1.1 no such user"
        if address.startswith("busy@"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        text = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        parsed = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(msg["subject"]),
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "content_type": msg.get_content_type(),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
        }
        base = os.path.join(self.outdir, str(self.count))
        self.count += 1
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        with open(base + ".json.tmp", "w") as f:
            json.dump(parsed, f)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 Message accepted"


def main():
    port, outdir = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Handler(outdir), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
