"""Follow-ups and service tickets; filled by the follow-ups issue."""
