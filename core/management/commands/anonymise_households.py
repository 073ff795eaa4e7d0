from django.conf import settings
from django.core.management.base import BaseCommand

from core.services.rgpd import households_anonymise


class Command(BaseCommand):
    help = "Anonymise les foyers partis de la commune depuis plus de N années (factures émises conservées)."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=settings.RGPD_RETENTION_YEARS)

    def handle(self, *args, years, **options):
        done = households_anonymise(older_than_years=years)
        self.stdout.write(f"{len(done)} foyer(s) anonymisé(s) (partis depuis plus de {years} ans).")
