"""Report aggregates live in queries.py; no models of their own."""
