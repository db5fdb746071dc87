"""Demo opportunities (placeholder until the demo helper fills it)."""


def seed(users, stdout):
    return None
