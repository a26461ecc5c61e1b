"""Whatever the bytes, reading never raises: malformed input always comes back as findings."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.channels.edi.x12.envelope import read_interchanges
from crossdock.channels.edi.x12.fragment import read_fragment
from crossdock.channels.edi.x12.model import Interchange
from crossdock.channels.edi.x12.tokenizer import tokenize

FIXTURES = Path(__file__).parents[2] / "fixtures" / "x12"
SAMPLES = [p.read_bytes() for p in sorted(FIXTURES.iterdir()) if p.name[:2].isdigit()]
NOISE = b"*~>:^|!\n\r ISAGSSTSEGEIEA0123456789\xef\xbb\xbf\x00\xff"


def read_all(data: bytes) -> list[Interchange]:
    interchanges = list(read_interchanges(data))
    assert interchanges, "an interchange (or an empty one carrying the error) always comes back"
    return interchanges


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        match draw(st.sampled_from(["delete", "insert", "replace", "truncate", "duplicate"])):
            case "delete":
                del data[at : at + draw(st.integers(1, 20))]
            case "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=8)) + bytes(
                    [draw(st.sampled_from(NOISE))]
                )
            case "replace" if at < len(data):
                data[at] = draw(st.sampled_from(NOISE))
            case "truncate":
                del data[at:]
            case _:
                data[at:at] = data[max(0, at - 50) : at]
    return bytes(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_raise(data: bytes) -> None:
    read_all(data)
    list(tokenize(data))
    read_fragment(data)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(NOISE), max_size=300).map(bytes))
def test_random_x12_shaped_noise_never_raises(data: bytes) -> None:
    read_all(b"ISA" + data)


@settings(max_examples=500, deadline=None)
@given(mutated())
def test_mutated_reference_files_never_raise_and_damage_shows_as_findings(data: bytes) -> None:
    for interchange in read_all(data):
        assert interchange.header.tag == "ISA"
        if interchange.trailer is None:
            assert any(f.code in ("023", "024") for f in interchange.findings)


@settings(max_examples=200, deadline=None)
@given(mutated(), st.integers(1, 64))
def test_chunk_boundaries_do_not_change_the_tokens(data: bytes, size: int) -> None:
    chunks = (data[i : i + size] for i in range(0, len(data), size))
    assert list(tokenize(chunks)) == list(tokenize(data))
