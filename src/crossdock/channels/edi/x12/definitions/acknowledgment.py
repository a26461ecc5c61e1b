"""997 functional acknowledgment, whose segments differ between 004010 and 005010.

005010 adds AK103 (the acknowledged group's GS08), AK203 (the set's ST03), AK4's third
composite component (1686), 723 codes 12/13 and 718 code 23 (duplicate ST02).
"""

from __future__ import annotations

from crossdock.channels.edi.x12.definitions import codes
from crossdock.channels.edi.x12.definitions.dictionary import coded, composite, el, seg
from crossdock.channels.edi.x12.definitions.schema import (
    Catalog,
    M,
    O,
    SegmentDef,
    SetDef,
)


def ack_segments(version: str) -> dict[str, SegmentDef]:
    """AK1–AK9 for ``version`` (``004010`` or ``005010``)."""
    v5 = version.startswith("005")
    set_codes = codes.SET_SYNTAX_ERROR_5010 if v5 else codes.SET_SYNTAX_ERROR_4010
    element_codes = codes.ELEMENT_SYNTAX_ERROR_5010 if v5 else codes.ELEMENT_SYNTAX_ERROR_4010
    position = [el("722", M), el("1528")] + ([el("1686")] if v5 else [])
    set_errors = [coded("718", O, set_codes) for _ in range(5)]
    return {
        "AK1": seg("AK1", el("479", M), el("28", M), *([el("480")] if v5 else [])),
        "AK2": seg("AK2", el("143", M), el("329", M), *([el("1705")] if v5 else [])),
        "AK3": seg("AK3", el("721", M), el("719", M), el("447"), el("720")),
        "AK4": seg("AK4", composite("C030", M, *position), el("725"),
                   coded("723", M, element_codes), el("724")),
        "AK5": seg("AK5", el("717", M), *set_errors),
        "AK9": seg("AK9", el("715", M), el("97", M), el("123", M), el("2", M),
                   *(el("716") for _ in range(5))),
    }  # fmt: skip


def functional_acknowledgment(version: str) -> SetDef:
    """997."""
    use = Catalog(ack_segments(version))
    errors = use.loop("AK3", O, 999999, use("AK3", M), use("AK4", O, 99))
    response = use.loop("AK2", O, 999999, use("AK2", M), errors, use("AK5", M))
    body = (use("AK1", M), response, use("AK9", M))
    return SetDef("997", "FA", version, body, "Functional Acknowledgment")
