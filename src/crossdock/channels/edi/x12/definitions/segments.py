"""The segment dictionary for 004010, and the 005010 segments that differ from it.

Only the segments the supply-chain sets use are described. Element lists follow the standard's
order; trailing elements nobody in retail sends are left out (a partner sending them gets 723
code 3, "too many data elements", which is what the standard says of an undefined element).
"""

from __future__ import annotations

from crossdock.channels.edi.x12.definitions import codes
from crossdock.channels.edi.x12.definitions.dictionary import (
    coded,
    composite,
    el,
    paired_notes,
    pairs,
    seg,
)
from crossdock.channels.edi.x12.definitions.schema import M, O, SegmentDef, X


def segments_4010() -> dict[str, SegmentDef]:
    """The 004010 segments the supply-chain sets use, by tag."""
    # C001 composite unit of measure (MEA04, QTY03); C040 reference identifier (REF04, N907).
    c001 = composite("C001", X, el("355", M), el("1018"), el("649"))
    c040 = composite("C040", O, el("128", M), el("127", M), el("128", X), el("127", X))
    product = pairs
    # fmt: off
    return {
        s.tag: s
        for s in (
            # Headers of the trading sets.
            seg("BEG", el("353", M), el("92", M), el("324", M), el("328"), el("373", M),
                el("367"), el("587"), el("1019"), el("1166"), el("1232"), el("786")),
            seg("BAK", el("353", M), el("587", M), el("324", M), el("373", M), el("328"),
                el("326"), el("367"), el("324"), el("373"), el("640")),
            seg("BSN", el("353", M), el("396", M), el("373", M), el("337", M), el("1005"),
                el("640", X), el("641"), rules="C0706"),
            seg("BIG", el("373", M), el("76", M), el("373"), el("324"), el("328"), el("327"),
                el("640"), el("353"), el("306"), el("76")),
            seg("BIA", el("353", M), el("755", M), el("127", M), el("373", M), el("337"),
                el("640")),
            # Header details.
            seg("CUR", el("98", M), el("100", M), el("280"), el("98"), el("100"), el("669"),
                el("374", X), el("373", X), el("337", X), rules="C0807 C0907"),
            seg("REF", el("128", M), el("127", X), el("352", X), c040, rules="R0203"),
            seg("PER", el("366", M), el("93"), el("365", X), el("364", X), el("365", X),
                el("364", X), el("365", X), el("364", X), el("443"),
                rules="P0304 P0506 P0708"),
            seg("FOB", el("146", M), el("309", X), el("352", X), el("334"), el("335", X),
                el("309", X), el("352"), el("54"), el("352", X),
                rules="C0302 C0405 C0706 C0809"),
            seg("ITD", el("336"), el("333"), el("338"), el("370"), el("351"), el("446"),
                el("386"), el("362"), el("388"), el("389"), el("342"), el("352"), el("765"),
                el("107"), el("954")),
            seg("DTM", el("374", M), el("373", X), el("337", X), el("623"), el("1250", X),
                el("1251", X), rules="R020305 C0403 P0506"),
            seg("CSH", el("563"), el("306", X), el("610", X), el("508"), el("373", X),
                el("596"), el("954"), el("1300"), el("1301")),
            seg("PKG", el("349", X), el("753"), el("559", X), el("754", X), el("352", X),
                rules="R040506 C0403"),
            seg("TD1", el("103"), el("80", X), el("23"), el("22", X), el("79"), el("187", X),
                el("81", X), el("355", X), el("183", X), el("355", X),
                rules="C0102 C0304 C0607 P0708 P0910"),
            seg("TD5", el("133"), el("66", X), el("67", X), el("91", X), el("387", X),
                el("368", X), el("309"), el("310", X), el("731"), el("732"), el("733"),
                el("284"), el("284"), el("26"), el("309"),
                rules="R0204050612 C0203 C0708"),
            seg("TD3", el("40", X), el("206"), el("207", X), el("187", X), el("81", X),
                el("355"), el("102"), el("407"), el("24"), rules="E0110 C0203 C0405"),
            seg("N9", el("128", M), el("127", X), el("369", X), el("373"), el("337"),
                el("623"), c040, rules="R0203 C0605"),
            seg("MSG", el("933", M), el("934"), el("1470"), rules="C0302"),
            seg("NTE", el("363"), el("352", M)),
            # Parties.
            seg("N1", el("98", M), el("93", X), el("66", X), el("67", X), el("706"),
                el("98"), rules="R0203 P0304"),
            seg("N2", el("93", M), el("93")),
            seg("N3", el("166", M), el("166")),
            seg("N4", el("19"), el("156"), el("116"), el("26"), el("309", X), el("310"),
                rules="C0605"),
            # Order lines.
            seg("PO1", el("350"), el("330", X), el("355", X), el("212", X), el("639"),
                *product(6, 25, "235", "234"),
                rules="C0302 C0504 " + paired_notes(6, 25)),
            seg("PID", el("349", M), el("750"), el("559", X), el("751", X), el("352", X),
                el("752"), el("822"), el("1073"), el("819"), rules="C0403 R0405"),
            seg("PO4", el("356"), el("357"), el("355", X), el("103", X), el("187"), el("384", X),
                el("355", X), el("385", X), el("355", X), el("82", X), el("189", X),
                el("65", X), el("355", X), el("810"), el("752"), el("350", X), el("350"),
                el("1470"), rules="C0203 P0809 C1013 C1113 C1213",
                lenient="C0605 C0706"),
            seg("SAC", el("248", M), el("1300", X), el("559", X), el("1301", X), el("610"),
                el("378", X), el("332", X), el("118"), el("355", X), el("380", X), el("380"),
                el("331"), el("127", X), el("770"), el("352", X), el("819"),
                rules="R0203 P0304 P0607 P0910 C1110 C1413 C1615"),
            seg("ACK", el("668", M), el("380", X), el("355", X), el("374", X), el("373"),
                el("326"), *product(7, 26, "235", "234"), el("559"), el("822"), el("1271"),
                rules="P0203 C0405 " + paired_notes(7, 26)),
            seg("SCH", el("380", M), el("355", M), el("98", X), el("93", X), el("374", M),
                el("373", M), el("337"), el("374", X), el("373", X), el("337"), el("326"),
                el("350"), rules="C0304 L08091011 C0809"),
            seg("CTT", el("354", M), el("347"), el("81", X), el("355", X), el("183", X),
                el("355", X), el("352"), rules="P0304 P0506"),
            seg("AMT", el("522", M), el("782", M), el("478")),
            seg("TAX", el("325", X), el("309", X), el("310", X)),
            # Shipment notice.
            seg("HL", el("628", M), el("734"), el("735", M), el("736")),
            seg("PRF", el("324", M), el("328"), el("327"), el("373"), el("350"), el("367"),
                el("92")),
            seg("MAN", el("88", M), el("87", M), el("87"), el("88", X), el("87", X),
                el("87"), rules="P0405 C0605"),
            seg("MEA", el("737"), el("738"), el("739", X), c001, el("740"), el("741"),
                el("935"), el("936"), el("752"), el("1373"),
                rules="R03050608 C0504 C0604 L07030506 E0803"),
            seg("LIN", el("350"), coded("235", M, codes.PRODUCT_ID_QUALIFIER), el("234", M),
                *product(4, 31, "235", "234"), rules=paired_notes(4, 31)),
            seg("SN1", el("350"), el("382", M), el("355", M), el("646"), el("330", X),
                el("355", X), el("728"), el("668"), rules="P0506"),
            # Invoice.
            seg("IT1", el("350"), el("358", X), el("355", X), el("212", X), el("639"),
                *product(6, 25, "235", "234"),
                rules=paired_notes(6, 25), lenient="P020304"),
            seg("TDS", el("610", M), el("610"), el("610"), el("610")),
            seg("TXI", el("963", M), el("782", X), el("954", X), el("955", X), el("956", X),
                el("441", X), el("662"), el("828"), el("325"), el("350"),
                rules="R020306 C0405 C0803"),
            seg("CAD", el("91"), el("206"), el("207"), el("140", X), el("387", X), el("368"),
                el("128", X), el("127", X), el("284"), rules="R0405 C0708"),
            seg("ISS", el("382", X), el("355", X), el("81", X), el("355", X), el("183", X),
                el("355", X), el("380", X), el("81"), rules="P0102 P0304 P0506"),
            # Inventory.
            seg("QTY", el("673", M), el("380", X), c001, el("61", X), rules="R0204 E0204"),
            seg("SDQ", el("355", M), el("66"), el("67", M), el("380", M),
                *pairs(5, 22, "67", "380"), el("310"), rules=paired_notes(5, 22)),
        )
    }
    # fmt: on


def segments_5010() -> dict[str, SegmentDef]:
    """The 005010 segments: the 004010 ones, with the differences retail sets meet."""
    found = segments_4010()
    # 005010 adds N407, the country subdivision (paired with the country in N404).
    found["N4"] = seg(
        "N4",
        el("19"),
        el("156"),
        el("116"),
        el("26"),
        el("309", X),
        el("310"),
        el("1715", X),
        rules="C0605 C0704",
    )
    return found
