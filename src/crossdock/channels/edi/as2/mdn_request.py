"""What receipt the sender of a message asked for (RFC 4130 §7.3).

A sender asks for an MDN with ``Disposition-Notification-To``; it says how the MDN should be
protected with ``Disposition-Notification-Options``, e.g.::

    signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256

and asks for an *asynchronous* MDN by naming a URL in ``Receipt-Delivery-Option``. Without that
header the MDN is synchronous: it is the body of the HTTP response.
"""

from __future__ import annotations

from dataclasses import dataclass

from crossdock.channels.edi.as2.mic import DEFAULT_ALGORITHM, micalg_name

SIGNATURE_PROTOCOL = "pkcs7-signature"


@dataclass(frozen=True, slots=True, kw_only=True)
class MdnRequest:
    """The MDN a message asks for."""

    to: str
    """``Disposition-Notification-To`` (any value: over HTTP it only says "send an MDN")."""
    url: str | None = None
    """``Receipt-Delivery-Option``: where to POST an asynchronous MDN; None: synchronous."""
    signature: str | None = None
    """The signature protocol asked for the MDN (``pkcs7-signature``), or None for unsigned."""
    signature_required: bool = False
    """The sender said ``required`` rather than ``optional`` for the signature protocol."""
    micalgs: tuple[str, ...] = ()
    """The MIC algorithms the sender accepts, in its order of preference."""
    micalg_required: bool = False
    """The sender said ``required`` for ``signed-receipt-micalg``."""

    @property
    def asynchronous(self) -> bool:
        """The MDN is to be POSTed to :attr:`url` rather than returned in the response."""
        return self.url is not None

    def chosen_micalg(self) -> str | None:
        """The MIC algorithm to answer with: the sender's first one we support; sha-256 when it
        named none; None when it named only algorithms we do not support."""
        if not self.micalgs:
            return DEFAULT_ALGORITHM
        for name in self.micalgs:
            known = micalg_name(name)
            if known is not None:
                return known
        return None

    def options_header(self) -> str:
        """The ``Disposition-Notification-Options`` value for this request ("" for none)."""
        options = []
        if self.signature:
            importance = "required" if self.signature_required else "optional"
            options.append(f"signed-receipt-protocol={importance}, {self.signature}")
        if self.micalgs:
            importance = "required" if self.micalg_required else "optional"
            options.append(f"signed-receipt-micalg={importance}, {', '.join(self.micalgs)}")
        return "; ".join(options)

    @classmethod
    def parse(cls, to: str, options: str | None, url: str | None) -> MdnRequest:
        """Read the three request headers (``options`` and ``url`` may be absent)."""
        signature: str | None = None
        signature_required = False
        micalgs: tuple[str, ...] = ()
        micalg_required = False
        for option in (options or "").split(";"):
            name, _, value = option.partition("=")
            importance, *values = [part.strip() for part in value.split(",")]
            required = importance.lower() == "required"
            match name.strip().lower():
                case "signed-receipt-protocol" if values:
                    signature, signature_required = values[0].lower(), required
                case "signed-receipt-micalg":
                    micalgs, micalg_required = tuple(v.lower() for v in values if v), required
        return cls(
            to=to.strip(),
            url=(url or "").strip() or None,
            signature=signature,
            signature_required=signature_required,
            micalgs=micalgs,
            micalg_required=micalg_required,
        )
