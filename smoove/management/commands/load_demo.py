import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction

from campaigns import actions as campaign_actions
from contacts import actions as contact_actions
from contacts import imports
from contacts.models import Channel, ConsentStatus, FieldType
from lists import actions as list_actions
from lists.models import ListKind
from smoove import actions
from smoove.demo_login import DEMO_EMAIL, DEMO_PASSWORD
from smoove.models import Account, Membership, Plan, User

DEMO_ACCOUNT = "סטודיו יופי ודבש"

FIRST_NAMES = [
    "נועה",
    "תמר",
    "מאיה",
    "שירה",
    "יעל",
    "מיכל",
    "רונית",
    "אורית",
    "דנה",
    "הילה",
    "יוסי",
    "דוד",
    "אבי",
    "משה",
    "עומר",
    "איתי",
    "רון",
    "אלון",
    "גיל",
    "עידו",
]
LAST_NAMES = [
    "כהן",
    "לוי",
    "מזרחי",
    "פרץ",
    "ביטון",
    "דהן",
    "אברהם",
    "פרידמן",
    "אזולאי",
    "גבאי",
    "חדד",
    "שלום",
    "עמר",
    "בן דוד",
    "אוחיון",
    "מלכה",
    "יוסף",
    "שפירא",
    "רוזן",
    "קליין",
]
CITIES = ["תל אביב-יפו", "חולון", "ירושלים", "חיפה", "ראשון לציון", "באר שבע", "נתניה", "רמת גן"]
SOURCES = ["פייסבוק", "גוגל", "אינסטגרם", "חבר מביא חבר"]
INTERESTS = ["טיפוח פנים", "איפור", "בשמים", "טיפוח שיער"]
CONTACT_COUNT = 320
DEMO_FILES = Path(__file__).resolve().parents[2] / "demo_files"


class Command(BaseCommand):
    help = "Create the demo account with Hebrew sample contacts, fields and lists (once)."

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is not None and Membership.objects.filter(user=user).exists():
            self.stdout.write("demo account exists")
            return
        with transaction.atomic():
            account = self._create_account()
            self._create_fields(account)
            self._create_contacts(account)
            self._create_lists(account)
            self._queue_import(account)
        self.stdout.write(f"demo account created: {account.name}")

    def _create_account(self) -> Account:
        membership = actions.sign_up(
            business_name=DEMO_ACCOUNT,
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            full_name="דנה מנהלת שיווק",
        )
        actions.set_plan(membership.account, Plan.PAID, None)
        # Emails leave only from verified addresses; the demo's own is verified.
        campaign_actions.add_verified_sender(
            membership.account, name=DEMO_ACCOUNT, email=DEMO_EMAIL, make_default=True
        )
        return membership.account

    def _create_fields(self, account: Account) -> None:
        contact_actions.create_custom_field(
            account, label="מקור הגעה", key="source", type=FieldType.CHOICE, choices=SOURCES
        )
        contact_actions.create_custom_field(
            account,
            label="תחומי עניין",
            key="interests",
            type=FieldType.MULTI_CHOICE,
            choices=INTERESTS,
        )
        contact_actions.create_custom_field(
            account, label="תאריך חשבונית", key="invoice_date", type=FieldType.DATE
        )
        contact_actions.create_custom_field(
            account, label="שילם", key="paid", type=FieldType.BOOLEAN
        )
        contact_actions.create_custom_field(
            account, label="סכום רכישות", key="total_spent", type=FieldType.NUMBER
        )

    def _create_contacts(self, account: Account) -> None:
        rng = random.Random(2026)  # noqa: S311 - sample data, not security
        today = date(2026, 12, 1)
        rows = []
        for i in range(CONTACT_COUNT):
            first = rng.choice(FIRST_NAMES)
            rows.append(
                {
                    "email": f"demo.contact{i:03d}@example.com",
                    "mobile": f"05{rng.choice('02348')}{i:07d}",
                    "first_name": first,
                    "last_name": rng.choice(LAST_NAMES),
                    "city": rng.choice(CITIES),
                    "gender": "female" if FIRST_NAMES.index(first) < 10 else "male",
                    "birthday": date(
                        1970 + rng.randrange(35), rng.randrange(1, 13), rng.randrange(1, 29)
                    ),
                    "source": rng.choice(SOURCES),
                    "interests": rng.sample(INTERESTS, rng.randrange(0, 3)),
                    "invoice_date": (today - timedelta(days=rng.randrange(0, 60))).isoformat(),
                    "paid": rng.random() < 0.7,
                    "total_spent": round(rng.uniform(0, 2500), 2),
                }
            )
        outcomes = contact_actions.upsert_contacts(account, rows, source="demo")
        for outcome in outcomes[: CONTACT_COUNT // 2]:
            if outcome.contact is None:
                raise RuntimeError(f"demo contact not saved: {outcome.errors}")
            contact_actions.record_consent(
                account,
                outcome.contact,
                channel=Channel.EMAIL,
                status=ConsentStatus.GRANTED,
                source="form",
                source_ref="טופס הרשמה לניוזלטר",
                wording="אני מאשר/ת קבלת דיוור שיווקי במייל",
                ip_address="192.0.2.10",
            )

    def _queue_import(self, account: Account) -> None:
        """Queue a Windows-1255 file from a shop's Excel, for the demo's worker to run."""
        path = DEMO_FILES / "contacts-from-the-shop.csv"
        with path.open("rb") as handle:
            upload = UploadedFile(handle, name=path.name, size=path.stat().st_size)
            job = imports.create_import(account, None, upload)
        imports.start_import(
            account,
            job,
            mapping=imports.suggest_mapping(account, job.headers),
            target_list=list_actions.create_list(account, name="לקוחות מהחנות"),
            consent_channels=[],
            consent_source="",
        )

    def _create_lists(self, account: Account) -> None:
        vip = list_actions.create_list(account, name="לקוחות VIP")
        list_actions.create_list(
            account,
            name="ניוזלטר חודשי",
            is_public=True,
            public_description="עדכונים ומבצעים פעם בחודש",
        )
        list_actions.create_list(
            account,
            name="סדנאות ואירועים",
            is_public=True,
            public_description="הזמנות לסדנאות בסטודיו",
        )
        list_actions.create_list(
            account,
            name="תושבי חולון",
            kind=ListKind.DYNAMIC,
            conditions={
                "match": "all",
                "rules": [{"type": "field", "field": "city", "op": "equals", "value": "חולון"}],
            },
        )
        list_actions.create_list(
            account,
            name="הגיעו מפייסבוק ולא שילמו",
            kind=ListKind.DYNAMIC,
            conditions={
                "match": "all",
                "rules": [
                    {"type": "field", "field": "source", "op": "equals", "value": "פייסבוק"},
                    {"type": "field", "field": "paid", "op": "equals", "value": "false"},
                ],
            },
        )
        from contacts import queries as contact_queries

        big_spenders = contact_queries.contacts_of_account(account).filter(
            fields__total_spent__gt=2000
        )
        list_actions.add_contacts(account, vip, big_spenders, source="demo")
