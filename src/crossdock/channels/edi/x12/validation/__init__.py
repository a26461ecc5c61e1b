"""Validation of transaction sets against their definitions, by concern.

``sequence`` (720 codes), ``elements`` (723 codes), ``hierarchy`` (the 856 HL tree), ``totals``
(CTT/TDS) and ``results`` (AK5/AK9 statuses). :mod:`crossdock.channels.edi.x12.validator` puts
them together.
"""
