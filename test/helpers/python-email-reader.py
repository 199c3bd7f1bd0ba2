#!/usr/bin/env python3
"""A lenient second reader of mail for the tests: Python's own email package reads each message
it is given and says which header fields it sees, the addresses in them and the decoded values.

One message per line on stdin as JSON {"id": N, "raw": "<base64 of the bytes>"}; one answer per
line on stdout as JSON {"id": N, "compat32": {...}, "default": {...}}. Each reading has:
  names      the field names in order, as written (duplicates kept)
  values     for each field, its value unfolded and with encoded words decoded
  addresses  for each field that carries addresses (see ADDRESS_FIELDS), [name, address] pairs
  parts      the content type of every MIME part, in walk order
  error      set instead of the rest when the reader raised
Standard library only.
"""
import base64
import email
import email.header
import email.policy
import email.utils
import json
import re
import sys
import traceback

# Every field a client could reply, report, forward or resend to, or show as a sender.
ADDRESS_FIELDS = {
    "from", "sender", "reply-to", "to", "cc", "bcc",
    "resent-from", "resent-sender", "resent-to", "resent-cc", "resent-bcc", "resent-reply-to",
    "errors-to", "mail-followup-to", "mail-reply-to", "disposition-notification-to",
    "return-receipt-to", "read-receipt-to", "x-confirm-reading-to", "return-path",
    "delivered-to", "x-original-from", "x-original-to", "envelope-to", "x-loop",
    "apparently-to", "x-sender", "x-envelope-from", "x-envelope-to",
}
# The fields that name addresses as mailto: URIs.
MAILTO_FIELDS = {"list-post", "list-help", "list-unsubscribe", "list-subscribe", "list-owner", "list-archive"}
MAILTO = re.compile(r"mailto:([^>?,\s]+)", re.I)


def unfold(value):
    return re.sub(r"\r?\n(?=[ \t])", "", value)


def decoded(value):
    """Encoded words decoded the way compat32 users do it (decode_header + make_header)."""
    try:
        return str(email.header.make_header(email.header.decode_header(unfold(value))))
    except Exception:  # an unreadable encoded word is shown as written
        return unfold(value)


def addresses_of(name, raw, header=None):
    """The addresses of a field: the policy's own parse when it has one for the field (From, To,
    Cc, Reply-To, Sender, Resent-*...), else getaddresses() on the field as written."""
    low = name.lower()
    if low in MAILTO_FIELDS:
        return [["", a] for a in MAILTO.findall(unfold(raw))]
    if low not in ADDRESS_FIELDS:
        return None
    if header is not None and hasattr(header, "addresses"):
        return [[a.display_name, a.addr_spec] for a in header.addresses]
    return [[decoded(n), a] for n, a in email.utils.getaddresses([unfold(raw)])]


def read(raw, policy):
    msg = email.message_from_bytes(raw, policy=policy)
    names, values, addresses = [], [], []
    for (name, value), (_, raw) in zip(msg.items(), msg.raw_items()):
        names.append(name)
        if policy is email.policy.compat32:
            values.append(decoded(value).strip())
            addresses.append(addresses_of(name, raw))
        else:
            values.append(str(value).strip())
            addresses.append(addresses_of(name, raw, value))
    return {
        "names": names,
        "values": values,
        "addresses": addresses,
        "parts": [part.get_content_type() for part in msg.walk()],
    }


def safely(raw, policy):
    try:
        return read(raw, policy)
    except Exception:
        return {"error": traceback.format_exc(limit=3)}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        raw = base64.b64decode(request["raw"])
        answer = {
            "id": request["id"],
            "compat32": safely(raw, email.policy.compat32),
            "default": safely(raw, email.policy.default),
        }
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
