"""Pure mappings between X12 transaction sets and crossdock's canonical documents.

Inbound, a set's segments become a document the channel can keep (:class:`PurchaseOrder` for an
850, inventory positions for an 846) and then a canonical :class:`~crossdock.core.order.Order`.
Outbound, canonical documents become a set *body*: the segments between ST and SE, which the
writer wraps in ST/SE, GS/GE and ISA/IEA. Nothing here reads files, talks to the network or knows
a control number.
"""
