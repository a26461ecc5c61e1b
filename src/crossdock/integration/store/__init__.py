"""Store adapters: SQLAlchemy over SQLite (embedded) and PostgreSQL (scale-out)."""
