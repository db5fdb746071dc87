from django.core.management.base import BaseCommand

from customers.models import Industry, Region, Tag
from customers.reference import load_reference, seed_tags


class Command(BaseCommand):
    help = "Load or refresh GB/T 4754 industries, GB/T 2260 provinces and seed tags."

    def handle(self, *args, **options):
        industries, regions = load_reference(Industry, Region)
        seed_tags(Tag)
        self.stdout.write(f"{industries} industries, {regions} provinces loaded.")
