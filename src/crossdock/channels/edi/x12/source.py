"""Where X12 text comes from: a string, bytes, a file, or a stream of chunks, read incrementally.

Bytes are decoded as **latin-1**. X12's basic and extended character sets are ASCII, and
latin-1 maps every byte to exactly one character, so decoding never fails on stray bytes, chunk
boundaries never split a character, a character offset is a byte offset, and encoding the text
back as latin-1 restores the original bytes. A UTF-8 byte order mark therefore arrives as the
three characters ``ï»¿``; the tokenizer skips it before an ISA. Text that really is UTF-8
(an ``é`` in a name) reads as two latin-1 characters and round-trips unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from io import IOBase
from typing import IO, Any, cast

CHUNK_SIZE = 1 << 16
"""Characters read from a file at a time."""

Source = str | bytes | bytearray | os.PathLike[str] | IO[Any] | Iterable[bytes | str]
"""What the reader accepts: text, bytes, a path, an open file (binary or text), or chunks."""


def text_chunks(source: Source, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """Yield ``source`` as text chunks, reading files and streams piece by piece.

    A ``str`` or ``bytes`` value is already in memory and comes back as one chunk; a path is
    opened (and closed) here; a file object is read ``chunk_size`` at a time; any other
    iterable yields its chunks (bytes decoded as latin-1) as they come.
    """
    if isinstance(source, str):
        yield source
    elif isinstance(source, bytes | bytearray):
        yield bytes(source).decode("latin-1")
    elif isinstance(source, os.PathLike):
        with open(source, "rb") as file:
            yield from _read(file, chunk_size)
    elif isinstance(source, IOBase) or hasattr(source, "read"):
        yield from _read(cast("IO[Any]", source), chunk_size)
    else:
        for chunk in source:
            yield chunk if isinstance(chunk, str) else bytes(chunk).decode("latin-1")


def _read(file: IO[Any], chunk_size: int) -> Iterator[str]:
    while chunk := file.read(chunk_size):
        yield chunk if isinstance(chunk, str) else bytes(chunk).decode("latin-1")
