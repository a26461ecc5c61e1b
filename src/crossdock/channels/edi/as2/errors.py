"""What can go wrong with AS2, classified by what the caller should do.

::

    NotAs2Request        an HTTP request lacks AS2-From, AS2-To or Message-ID: answer 400
    PermanentError
     ├── MdnRefused      the partner's MDN says processed/error or failed: a person must look
     ├── MicMismatch     the MDN's Received-Content-MIC is not the one we computed
     └── MdnUnreadable   the answer is not an MDN for our message

Network errors, timeouts, 429 and 5xx are :class:`~crossdock.core.errors.RetryableError` (see
:mod:`crossdock.integration.outbound.errors`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crossdock.core.errors import PermanentError

if TYPE_CHECKING:
    from crossdock.channels.edi.as2.mdn import Mdn


class NotAs2Request(Exception):
    """An HTTP request is not an AS2 message: it misses required AS2 headers."""

    def __init__(self, missing: tuple[str, ...]) -> None:
        self.missing = missing
        super().__init__(f"not an AS2 message: missing {', '.join(missing)}")


class MdnRefused(PermanentError):
    """The partner's MDN says it did not process our message."""

    def __init__(self, mdn: Mdn) -> None:
        self.mdn = mdn
        super().__init__(
            f"AS2 message {mdn.original_message_id} refused: {mdn.disposition}",
            code="as2_mdn_refused",
        )


class MicMismatch(PermanentError):
    """The partner received other bytes than we sent (or digested the wrong ones)."""

    def __init__(self, message_id: str, expected: str, received: str) -> None:
        super().__init__(
            f"AS2 message {message_id}: MDN MIC {received!r} is not ours {expected!r}",
            code="as2_mic_mismatch",
        )


class MdnUnreadable(PermanentError):
    """An answer that should be an MDN for our message is not one."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"not an AS2 MDN: {detail}", code="as2_mdn_unreadable")
