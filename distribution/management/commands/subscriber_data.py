import json

from django.core.management.base import BaseCommand, CommandError

from distribution import services
from distribution.models import Subscriber


class Command(BaseCommand):
    help = (
        "Export (as JSON) or delete everything stored about one subscriber's email address: "
        "the address, its status, follows and delivery log."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "delete"])
        parser.add_argument("email")
        parser.add_argument("--yes", action="store_true", help="delete without asking")

    def handle(self, *args, action, email, yes=False, **options):
        address = services.normalize_email(email)
        subscriber = Subscriber.objects.filter(email=address).first()
        if subscriber is None:
            raise CommandError(f"no subscriber with the address {address}")
        if action == "export":
            data = services.export_subscriber(subscriber)
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        if not yes and input(f"Delete everything about {address}? [y/N] ").lower() != "y":
            raise CommandError("nothing deleted")
        counts = services.delete_subscriber(subscriber)
        summary = ", ".join(f"{label}: {n}" for label, n in sorted(counts.items()))
        self.stdout.write(f"deleted {address} ({summary})")
