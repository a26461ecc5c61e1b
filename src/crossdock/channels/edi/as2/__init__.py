"""AS2 over HTTP (RFC 4130): messages, MDNs, MICs, an S/MIME layer, a client and the routes.

Supported: unsigned and unencrypted messages both ways; signing and encrypting our messages;
decrypting the partner's; signing our MDNs when asked. Not supported: verifying a signature (no
well-kept library can): a signed message is refused with ``processed/error:
authentication-failed``, and a signed MDN is read but reported with ``signature_verified=False``.
Compressed messages (RFC 5402) are refused with ``decompression-failed``.
"""

from crossdock.channels.edi.as2.agreement import As2Agreement
from crossdock.channels.edi.as2.client import As2Client, SendResult
from crossdock.channels.edi.as2.errors import (
    MdnRefused,
    MdnUnreadable,
    MicMismatch,
    NotAs2Request,
)
from crossdock.channels.edi.as2.mdn import Disposition, Mdn, build_report, parse_mdn
from crossdock.channels.edi.as2.mdn_request import MdnRequest
from crossdock.channels.edi.as2.message import (
    As2Headers,
    As2Message,
    OutboundMessage,
    build_message,
)
from crossdock.channels.edi.as2.mic import Mic
from crossdock.channels.edi.as2.receiver import (
    As2Receiver,
    MdnReply,
    PartnerDirectory,
    Receipt,
    ReceiveOutcome,
)
from crossdock.channels.edi.as2.routes import as2_router
from crossdock.channels.edi.as2.smime import Identity

__all__ = [
    "As2Agreement",
    "As2Client",
    "As2Headers",
    "As2Message",
    "As2Receiver",
    "Disposition",
    "Identity",
    "Mdn",
    "MdnRefused",
    "MdnReply",
    "MdnRequest",
    "MdnUnreadable",
    "Mic",
    "MicMismatch",
    "NotAs2Request",
    "OutboundMessage",
    "PartnerDirectory",
    "Receipt",
    "ReceiveOutcome",
    "SendResult",
    "as2_router",
    "build_message",
    "build_report",
    "parse_mdn",
]
