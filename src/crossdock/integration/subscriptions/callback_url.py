"""Callback URLs partners give us, checked against server-side request forgery (SSRF).

A webhook makes the hub send requests to an address a partner chose. Left unchecked, a partner
could point it at the hub's own network: a database port, an admin console, the cloud's instance
metadata service. :func:`check_callback` therefore refuses:

* a scheme other than ``https`` (``http`` only when :attr:`CallbackPolicy.allow_http`);
* credentials in the URL (``https://user:pass@…``), a missing host;
* a host that resolves to any address that is not public: private (10/8, 172.16/12, 192.168/16,
  fc00::/7), loopback, link-local (169.254/16, fe80::/10), unspecified (0.0.0.0, ::), multicast,
  reserved, shared CGNAT space (100.64/10), benchmarking (198.18/15), and IPv6 forms that carry
  one of those IPv4 addresses (IPv4-mapped ``::ffff:…``, NAT64 ``64:ff9b::/96``, 6to4, Teredo),
  unless :attr:`CallbackPolicy.allow_private` (development and tests);
* cloud metadata addresses (:data:`METADATA_ADDRESSES`), always, even with ``allow_private``.

Every resolved address must pass: a name with one public and one private address is refused.
The check runs when a subscription is created **and again before every delivery** (a DNS answer
can change after the check: DNS rebinding); the delivery then connects to the very address that
passed (:class:`CallbackTarget`), so the answer cannot change between the check and the request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx

from crossdock.core.errors import PermanentError, RetryableError

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

Resolver = Callable[[str], Awaitable[Sequence[str]]]
"""Resolves a host name to its addresses (as text); raises ``OSError`` when it cannot."""

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean …
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS (IPv6)
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure wire server (a public address)
        "192.0.0.192",  # Oracle Cloud
    )
)
"""Instance metadata services: refused whatever the policy says."""

_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_EMBEDDING_IPV4 = (
    _NAT64,
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215)
    ipaddress.ip_network("::/96"),  # IPv4-compatible (deprecated, still routed by some stacks)
)
"""IPv6 networks whose low 32 bits are an IPv4 address, which is checked as itself."""
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")
"""Deprecated site-local IPv6, which some Python versions do not count as private."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackPolicy:
    """What callback URLs the hub accepts."""

    allow_http: bool = False
    """Accept ``http://`` URLs (events then travel unencrypted): development only."""
    allow_private: bool = False
    """Accept hosts on private, loopback and link-local networks: development and tests only."""


class UnsafeCallback(PermanentError):
    """A callback URL the policy refuses; ``reason`` says why, for the partner."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"callback URL refused: {reason}", code="unsafe_callback")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CallbackTarget:
    """A callback URL that passed the check, and the addresses it resolved to."""

    url: httpx.URL
    addresses: tuple[IpAddress, ...]

    def pinned(self) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
        """The URL aimed at the first checked address, the ``Host`` header and the request
        extensions (TLS server name) that keep the request about the original host name."""
        address = self.addresses[0]
        host = self.url.host
        port = self.url.port  # None when it is the scheme's default
        name = f"[{host}]" if ":" in host else host
        headers = {"Host": name if port is None else f"{name}:{port}"}
        extensions = {"sni_hostname": host} if self.url.scheme == "https" else {}
        return self.url.copy_with(host=str(address)), headers, extensions


async def system_resolver(host: str) -> Sequence[str]:
    """The operating system's resolver (``getaddrinfo``), off the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def refusal(address: IpAddress, policy: CallbackPolicy) -> str | None:
    """Why ``address`` may not receive callbacks under ``policy``, or None when it may."""
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if policy.allow_private:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            why = refusal(embedded, policy)
            return None if why is None else f"{address} carries {embedded}: {why}"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if address in _SITE_LOCAL:
        return f"{address} is a site-local address"
    if address in _SHARED:
        return f"{address} is in the shared (CGNAT) address space"
    if not address.is_global:
        kind = (
            "loopback"
            if address.is_loopback
            else "link-local"
            if address.is_link_local
            else "unspecified"
            if address.is_unspecified
            else "private"
            if address.is_private
            else "reserved"
        )
        return f"{address} is a {kind} address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if int(address) > 1 and any(address in network for network in _EMBEDDING_IPV4):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def parse_callback(url: str, policy: CallbackPolicy) -> httpx.URL:
    """The URL when its form is acceptable (scheme, no credentials, a host); else UnsafeCallback."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise UnsafeCallback(f"not a URL ({exc})") from None
    schemes = ("https", "http") if policy.allow_http else ("https",)
    if parsed.scheme not in schemes:
        raise UnsafeCallback(f"the scheme must be {' or '.join(schemes)}, not {parsed.scheme!r}")
    if parsed.userinfo:
        raise UnsafeCallback("credentials in the URL are not allowed")
    if not parsed.host:
        raise UnsafeCallback("the URL has no host")
    if parsed.fragment:
        raise UnsafeCallback("the URL has a fragment")
    return parsed


async def check_callback(
    url: str, policy: CallbackPolicy, resolve: Resolver = system_resolver
) -> CallbackTarget:
    """Check ``url`` (see the module docstring): a :class:`CallbackTarget` or
    :class:`UnsafeCallback`; :class:`~crossdock.core.errors.RetryableError` when the host
    cannot be resolved now."""
    parsed = parse_callback(url, policy)
    host = parsed.host
    try:
        literal: IpAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        answers: Sequence[str] = [str(literal)]
    else:
        try:
            answers = await resolve(host)
        except (OSError, UnicodeError) as exc:
            raise RetryableError(f"cannot resolve {host}: {exc}", code="dns") from exc
    addresses = tuple(dict.fromkeys(_address(answer) for answer in answers))
    if not addresses:
        raise RetryableError(f"{host} resolved to no address", code="dns")
    for address in addresses:
        why = refusal(address, policy)
        if why is not None:
            shown = "" if literal is not None else f"{host} resolves to "
            raise UnsafeCallback(f"{shown}{why}")
    return CallbackTarget(parsed, addresses)


def _address(answer: str) -> IpAddress:
    # getaddrinfo writes scoped IPv6 link-local addresses as fe80::1%eth0.
    return ipaddress.ip_address(answer.split("%", 1)[0])
