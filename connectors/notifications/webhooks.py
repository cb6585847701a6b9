"""Standard Webhooks on the wire: secrets, signatures, checked targets and one POST.

Signatures are the specification's (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` with the
``whsec_`` secret), made by its reference package ``standardwebhooks``.

A target must be an http(s) URL without credentials whose host resolves only to public
addresses: loopback, private, link-local, shared, multicast and reserved ones are refused
(unless WEBHOOKS_ALLOW_PRIVATE_TARGETS), when the endpoint is registered and again before
every attempt. The connection goes to an address that was checked (no second lookup a
changed DNS answer could slip through), redirects are not followed, and only the start of
the answer is read.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import secrets
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
EXCERPT_BYTES = 1024
USER_AGENT = "ConnectorWorkbench-Webhooks/1.0"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signed_headers(*, secret: str, event_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt (a fresh timestamp each time)."""
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, timestamp, body),
    }


class TargetRefused(Exception):
    """The URL is not one webhooks may be sent to; ``str()`` says why, for its owner."""


def check_url(url: str) -> SplitResult:
    """The parts of an acceptable webhook URL. Raises TargetRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("The URL is not valid.") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("Only http:// and https:// URLs can receive webhooks.")
    if not parts.hostname:
        raise TargetRefused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("The URL must not contain credentials (a user or password before '@').")
    if port == 0:
        raise TargetRefused("The URL's port is not valid.")
    return parts


def _refused_kind(address: str) -> str | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    kinds = (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
        ("non-public", not ip.is_global),
    )
    return next((kind for kind, matches in kinds if matches), None)


def checked_addresses(parts: SplitResult) -> list[str]:
    """Every address the URL's host resolves to, each of them allowed.

    Raises TargetRefused (a refused address) and OSError (the host cannot be resolved now).
    """
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OSError(f"The host {host} could not be resolved ({error}).") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            kind = _refused_kind(address)
            if kind is not None:
                raise TargetRefused(
                    f"{host} resolves to {address}, a {kind} address: webhooks are only sent "
                    "to public addresses."
                )
    return addresses


def check_target(url: str) -> None:
    """Registration's check: a valid URL whose host resolves to allowed addresses only.

    Raises TargetRefused, with the reason (an unresolvable host included).
    """
    parts = check_url(url)
    try:
        checked_addresses(parts)
    except OSError as error:
        raise TargetRefused(str(error)) from None


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to one checked address; the Host header still names the URL's host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to one checked address, the certificate verified for the URL's host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str  # the start of the response body


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` to ``url``; the answer whatever its status.

    Raises TargetRefused (the URL or an address is refused: trying again will not help),
    OSError and http.client.HTTPException (the target could not be reached or answered
    nonsense: worth another attempt).
    """
    parts = check_url(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    host = parts.hostname or ""
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    failure: OSError | None = None
    for address in checked_addresses(parts):
        connection = connection_class(host, port, address=address, timeout=timeout)
        try:
            connection.connect()
        except OSError as error:  # try the host's next address
            failure = error
            connection.close()
            continue
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    **headers,
                },
            )
            response = connection.getresponse()
            excerpt = response.read(EXCERPT_BYTES).decode("utf-8", "replace")
            return Answer(status=response.status, excerpt=excerpt)
        finally:
            connection.close()
    raise failure or OSError(f"The host {host} has no address.")
