"""The message integrity check (MIC) an MDN returns in ``Received-Content-MIC``.

Which bytes are digested is set by RFC 4130 §7.3.1, and depends on how the message was protected:

* **unsigned, unencrypted**: the message contents *without* any MIME or RFC 2822 headers, "since
  these are sometimes altered or reordered by Mail Transport Agents". Over HTTP that is the request
  body exactly as sent (the payload), so the ``Content-Type`` header is *not* digested.
* **encrypted, unsigned**: the decrypted MIME entity, its MIME headers *and* content, in canonical
  form (the entity we encrypted: ``Content-Type: application/edi-x12`` … blank line … payload).
* **signed**: the same bytes the signature covers (RFC 1847): the first part of the
  ``multipart/signed``, MIME headers and content, in canonical form.

The value is ``<base64 digest>, <micalg>``, e.g. ``"t7Yh…=, sha-256"`` (RFC 4130 §7.4.3).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

#: micalg names (RFC 5751 §3.4.3.2, RFC 4130 §7.3) → hashlib names, strongest first.
ALGORITHMS: dict[str, str] = {
    "sha-512": "sha512",
    "sha-384": "sha384",
    "sha-256": "sha256",
    "sha-224": "sha224",
    "sha-1": "sha1",
}
DEFAULT_ALGORITHM = "sha-256"
_ALIASES = {name.replace("-", ""): name for name in ALGORITHMS}
"""Names written without the dash (``sha256``), as some AS2 products do."""


def micalg_name(name: str) -> str | None:
    """The canonical micalg name for ``name`` (``SHA256``, ``sha-256`` → ``sha-256``), or None
    when we do not support it (md5 is refused on purpose)."""
    key = name.strip().lower()
    if key in ALGORITHMS:
        return key
    return _ALIASES.get(key)


@dataclass(frozen=True, slots=True, kw_only=True)
class Mic:
    """A message integrity check: a digest and the algorithm that made it."""

    digest: str
    """The base64 digest, as written in ``Received-Content-MIC``."""
    algorithm: str = DEFAULT_ALGORITHM
    """The micalg name (``sha-256``)."""

    @classmethod
    def of(cls, data: bytes, algorithm: str = DEFAULT_ALGORITHM) -> Mic:
        """The MIC of ``data`` (the bytes RFC 4130 §7.3.1 names; see the module docstring)."""
        name = micalg_name(algorithm)
        if name is None:
            raise ValueError(f"unsupported MIC algorithm {algorithm!r}")
        digest = hashlib.new(ALGORITHMS[name], data).digest()
        return cls(digest=base64.b64encode(digest).decode("ascii"), algorithm=name)

    @classmethod
    def parse(cls, value: str) -> Mic:
        """Read a ``Received-Content-MIC`` value (``<base64>, <micalg>``)."""
        digest, _, algorithm = value.partition(",")
        if not digest.strip() or not algorithm.strip():
            raise ValueError(f"not a Received-Content-MIC value: {value!r}")
        return cls(
            digest=digest.strip(),
            algorithm=micalg_name(algorithm) or algorithm.strip().lower(),
        )

    def __str__(self) -> str:
        return f"{self.digest}, {self.algorithm}"

    def matches(self, other: Mic) -> bool:
        """Both digests are equal and made by the same algorithm."""
        return self.algorithm == other.algorithm and self.digest == other.digest
