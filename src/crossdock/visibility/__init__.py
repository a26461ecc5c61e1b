"""visibility layer."""
