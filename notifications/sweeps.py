"""Running the periodic notification sweeps modules register.

A sweep (`registry.add_notification_sweep(name, fn)`) turns the passing of time
into notifications (a plan that became overdue): `fn(now)` calls `notify(...)`
with a key, so running it again, or in two processes at once, creates nothing
twice. `manage.py run_sweeps --loop` runs them every CRM_SWEEP_INTERVAL
seconds beside the task worker (`make run`, `scripts/with-workers`).
"""

import logging

from django.db import transaction
from django.utils import timezone

from crm.registry import registry

logger = logging.getLogger("notifications")


def run_sweeps(now=None) -> dict[str, object]:
    """Run every registered sweep once, each in its own transaction.

    Returns {name: what the sweep returned, or the exception it raised}: one
    failing sweep is logged and rolled back, and the others still run."""
    now = now or timezone.now()
    results: dict[str, object] = {}
    for name, sweep in sorted(registry.notification_sweeps.items()):
        try:
            with transaction.atomic():
                results[name] = sweep(now)
        except Exception as exc:
            logger.exception("Notification sweep %s failed", name)
            results[name] = exc
    return results
