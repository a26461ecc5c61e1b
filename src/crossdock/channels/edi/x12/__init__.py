"""crossdock's own X12 core: tokenizer, envelope model, writer, set definitions and validation."""
