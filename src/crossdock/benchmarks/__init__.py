"""Benchmarks behind ``crossdock bench``: each prints its figures with the machine and settings."""
