"""EDI trading partners: the X12 codec, partner profiles, mappings, AS2 and file transports."""
