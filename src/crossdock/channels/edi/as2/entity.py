"""A MIME entity: a few MIME headers, a blank line, the content (RFC 2045), in canonical form.

AS2 carries its payload bare in the HTTP body when the message is neither signed nor encrypted;
signing and encryption wrap a MIME entity instead, and the MIC of a signed or encrypted message is
taken over that entity's bytes (RFC 4130 §7.3.1). Headers are written with CRLF line ends, the
canonical form; binary content is never touched.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser

CRLF = b"\r\n"


def new_boundary() -> str:
    """A fresh multipart boundary that cannot occur in base64 or X12 content."""
    return f"----=_crossdock_{secrets.token_hex(12)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class MimeEntity:
    """One MIME entity."""

    content_type: str
    """The full ``Content-Type`` value, parameters included."""
    content: bytes
    headers: tuple[tuple[str, str], ...] = field(default=())
    """Further MIME headers, in order (``Content-Transfer-Encoding``, ``Content-Disposition``)."""

    def to_bytes(self) -> bytes:
        """The entity in canonical form: CRLF-ended headers, a blank line, the content."""
        lines = [f"Content-Type: {self.content_type}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        head = CRLF.join(line.encode("ascii") for line in lines)
        return head + CRLF + CRLF + self.content

    def header(self, name: str) -> str | None:
        """A header's value, by case-insensitive name (``Content-Type`` included)."""
        if name.lower() == "content-type":
            return self.content_type
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)

    @property
    def media_type(self) -> str:
        """The ``type/subtype`` in lower case, without parameters."""
        return self.content_type.split(";", 1)[0].strip().lower()

    @classmethod
    def parse(cls, data: bytes) -> MimeEntity:
        """Split bytes into headers and content at the first blank line (CRLF or bare LF)."""
        crlf, lf = data.find(b"\r\n\r\n"), data.find(b"\n\n")
        if crlf == -1 and lf == -1:
            raise ValueError("not a MIME entity: no blank line after the headers")
        if crlf != -1 and (lf == -1 or crlf <= lf):
            head, content = data[:crlf], data[crlf + 4 :]
        else:
            head, content = data[:lf], data[lf + 2 :]
        parsed: Message = BytesHeaderParser().parsebytes(head + b"\r\n\r\n")
        items = [(name, " ".join(str(value).split())) for name, value in parsed.items()]
        content_type = next((v for n, v in items if n.lower() == "content-type"), "text/plain")
        others = tuple((n, v) for n, v in items if n.lower() != "content-type")
        return cls(content_type=content_type, content=content, headers=others)
