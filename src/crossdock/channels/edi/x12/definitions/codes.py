"""Code lists for the ID elements whose values we check.

Only elements whose list is short, stable and decisive for processing are checked; huge
qualifier lists (REF01 128, DTM01 374, N101 98) are left open because a value missing from a
partial list would reject good documents. The product id qualifier (235) and unit of measure
(355) lists are partial but cover what retail guides use; extend them here when a partner's
guide needs more.
"""

from __future__ import annotations


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


TRANSACTION_PURPOSE = _codes(
    "00 01 02 03 04 05 06 07 08 10 11 12 13 14 15 16 17 18 19 20 21 22 24 25 26 27 28 30 "
    "31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 77 CN CO "
    "EX GR PR RH RV SU ZZ"
)
"""353: BEG01, BAK01, BSN01, BIA01 (00 original, 01 cancel, 05 replace, 06 confirmation...)."""

PURCHASE_ORDER_TYPE = _codes(
    "BK BL BY CF CN CP DR DS EO IN KB KC KN LS NE NP OS PR RA RC RE RL RO RR SA SD SO SP ST "
    "SW TC TE UD US WO ZZ"
)
"""92: BEG02 (SA stand-alone, NE new, DS drop-ship, RL release, BK blanket...)."""

ACKNOWLEDGMENT_TYPE = _codes("AC AD AE AH AK AP AT NA RD RF RJ RN RO RV ZZ")
"""587: BAK02 (AC with changes, AD without, AK no detail, AT accepted, RD/RJ rejected)."""

LINE_ITEM_STATUS = _codes("AC AR BP DR IA IB IC ID IE IF IH IP IQ IR IS IW R1 R2 R3 R4 SP")
"""668: ACK01 (IA accepted, IB backordered, IC changed, IR rejected, IS substitution...)."""

PRODUCT_ID_QUALIFIER = _codes(
    "A1 A2 A3 A4 A5 A6 A7 A8 AB B1 B2 B3 B4 B5 B6 B7 B8 BL BP CB CG CH CN CT DR EA EC EN EO "
    "F1 FS GC GS HC HD IB IN IS IT IZ KP LT MF MG MN N1 N2 N3 N4 N5 N6 ND NH ON PC PD PI PL "
    "PN PO PR PT RC RN SA SH SK SM SN ST SV SZ TP U2 U3 U5 U6 UA UC UD UI UK UN UP UX VA VC "
    "VE VN VP VS WK ZZ"
)
"""235: PO106/08…, IT106…, LIN02…, ACK07… (VP vendor part, BP buyer part, UP UPC, EN EAN,
IN buyer item, VN vendor item, UK GTIN-14, SK SKU, CB buyer catalogue...)."""

UNIT_OF_MEASURE = _codes(
    "4G 4N AM BA BD BE BG BJ BK BL BO BR BT BX BY CA CC CF CG CH CL CM CN CR CS CT CU CY DA DH "
    "DK DO DR DZ EA FO FT GA GL GR GS HR IN JR KE KG KT LB LF LM LO LR LT LY MI ML MM MR MT "
    "OZ P1 PA PC PD PF PG PH PK PL PN PR PT PY Q2 QT RD RE RL RM RO SF SH SJ SL SM SO SP SQ "
    "SS ST SV SX SY TB TC TE TK TN TO TS TU TY UN UU VI WE WK YD Z3"
)
"""355: unit or basis for measurement (EA each, CA case, CS case, BX box, PK package, LB pound,
PL pallet, DZ dozen, UN unit, PC piece, CT carton, LR layer...)."""

HIERARCHICAL_LEVEL = _codes("S O T P I F D Q V E G 1 2 3 4 5 6 7 8 9")
"""735: HL03 (S shipment, O order, T tare, P pack, I item, F component...)."""

HIERARCHICAL_CHILD = _codes("0 1")
"""736: HL04."""

HIERARCHICAL_STRUCTURE = _codes("0001 0002 0003 0004 0005 0006 0007 0008 0009 0010 0011 0012")
"""1005: BSN05 (0001 S-O-P-I, 0002 S-O-I-P, 0004 S-O-I...)."""

PRODUCT_DESCRIPTION_TYPE = _codes("F S X")
"""349: PID01 (F free form, S structured, X semi-structured)."""

ALLOWANCE_OR_CHARGE = _codes("A C N P Q R")
"""248: SAC01 (A allowance, C charge, N no allowance or charge...)."""

INVENTORY_REPORT_TYPE = _codes("BC DD IM MB MM OH PV RR SI TI TR ZZ")
"""755: BIA02 (SI seller inventory, DD distributor inventory...)."""

FUNCTIONAL_ACK_SET = _codes("A E M R W X")
"""717: AK501."""

FUNCTIONAL_ACK_GROUP = _codes("A E M P R W X")
"""715: AK901."""

SEGMENT_SYNTAX_ERROR = _codes("1 2 3 4 5 6 7 8")
"""720: AK304 (004010; 005010 adds I4–I9 for implementation guides we do not use)."""

ELEMENT_SYNTAX_ERROR_4010 = _codes("1 2 3 4 5 6 7 8 9 10")
"""723: AK403 in 004010."""

ELEMENT_SYNTAX_ERROR_5010 = ELEMENT_SYNTAX_ERROR_4010 | _codes("12 13")
"""723 in 005010 adds 12 (too many repetitions) and 13 (too many components)."""

SET_SYNTAX_ERROR_4010 = _codes("1 2 3 4 5 6 7 8 9 10 11 12 13 15 16 17")
"""718: AK502… in 004010."""

SET_SYNTAX_ERROR_5010 = SET_SYNTAX_ERROR_4010 | _codes("18 19 23 24 25 26 27")
"""718 in 005010 adds 23 (duplicate ST02 in the group) among others."""

GROUP_SYNTAX_ERROR = _codes("1 2 3 4 5 6 10 11 12 13 14 15 16 17 18 19 23 24 25 26")
"""716: AK905…"""
