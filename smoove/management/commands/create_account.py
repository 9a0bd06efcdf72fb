from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from smoove import actions


class Command(BaseCommand):
    help = "Create an account with an owner; print a new API key on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The business name.")
        parser.add_argument("owner_email", help="The owner's email address.")

    def handle(self, *args: Any, **options: Any) -> None:
        account, user, raw_key = actions.create_account_with_owner(
            options["name"], options["owner_email"]
        )
        self.stdout.write(f"account {account.pk} created, owner {user.email}")
        self.stdout.write(raw_key)
