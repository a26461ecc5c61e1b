"""Orchestration: the durable workflow engine, its messages, and the ports adapters implement."""
