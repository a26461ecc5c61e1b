"""The core domain: canonical documents and the rules that govern them. Pure: no I/O."""
