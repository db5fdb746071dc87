"""Opportunities, stage history and payments; filled by their issue."""
