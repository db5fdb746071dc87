import time

from django.conf import settings
from django.core.management.base import BaseCommand

from notifications.sweeps import run_sweeps


class Command(BaseCommand):
    help = (
        "Run the periodic notification sweeps (e.g. overdue follow-up plans) "
        "once, or with --loop every CRM_SWEEP_INTERVAL seconds until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running.")
        parser.add_argument(
            "--interval",
            type=int,
            default=None,
            help="Seconds between runs with --loop (default CRM_SWEEP_INTERVAL).",
        )

    def handle(self, *args, loop=False, interval=None, **options):
        interval = max(1, interval or settings.CRM_SWEEP_INTERVAL)
        while True:
            for name, result in run_sweeps().items():
                if isinstance(result, Exception):
                    self.stderr.write(f"sweep {name} failed: {result!r}")
                elif options["verbosity"] > 1:
                    self.stdout.write(f"sweep {name}: {result}")
            if not loop:
                return
            time.sleep(interval)
