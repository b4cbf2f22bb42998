from django.core.management.base import BaseCommand

from bulletins.demo.loader import DEMO_USERS, load_demo


class Command(BaseCommand):
    help = "Load the demo (users per role, entities, a published issue, a draft). Idempotent."

    def handle(self, *args, **options):
        result = load_demo()
        for bulletin in result["created"]:
            self.stdout.write(
                f"created bulletin {bulletin.issued_on} ({bulletin.get_status_display()})"
            )
        if not result["created"]:
            self.stdout.write("demo issues already present; nothing created")
        self.stdout.write("demo users (sign in at /admin/):")
        for username, password, role, _name in DEMO_USERS:
            self.stdout.write(f"  {role}  {username} / {password}")
