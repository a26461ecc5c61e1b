"""Event transports: how published business events reach their subscribers."""
