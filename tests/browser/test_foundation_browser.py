"""A new business in Chromium: sign up, import Hebrew Excel, work the list, export."""

import openpyxl
import pytest

from contacts.models import Contact
from smoove.models import Account
from tests.browser.support import screenshot
from tests.realdata import REALDATA

XLSX = REALDATA / "imports" / "hebrew-headers.xlsx"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_signup_import_sort_and_export(page, celery_worker, tmp_path):
    # Sign up: a new business starts on the free plan, in Hebrew.
    page.goto("/accounts/signup/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.fill("input[name=business_name]", "מספרת רותי")
    page.fill("input[name=email]", "ruti@example.com")
    page.fill("input[name=password]", "Hair-and-Style-2026")
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    assert page.locator("[data-testid=contact-count]").inner_text() == "0"

    # Import the Hebrew XLSX into a new list.
    page.click("nav.mainnav a[href='/contacts/imports/']")
    page.set_input_files("input[name=file]", str(XLSX))
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=mapping]")
    page.fill("input[name=new_list_name]", "לקוחות מהאקסל")
    screenshot(page, "foundation-import-mapping")
    page.click("form button[type=submit]")
    page.wait_for_selector("#import-progress[data-status=done]", timeout=60_000)
    screenshot(page, "foundation-import-done")

    account = Account.objects.get(name="מספרת רותי")
    stored = Contact.objects.filter(account=account)
    # Dana Levi appears twice in the file; the later row's values win.
    assert stored.get(email="dana.levi@example.co.il").mobile == "+972540000007"
    assert stored.get(email="yossi.cohen@example.com").mobile == "+972500000002"
    assert stored.get(email="orit.bendavid@example.com").phone == "+97236000015"

    # Open the list, add the city column and sort by it.
    page.click("nav.mainnav a[href='/lists/']")
    page.click("text=לקוחות מהאקסל")
    page.wait_for_selector("[data-testid=table-count]")
    page.click("#table-columns summary")
    page.check("#table-columns input[name=columns][value=city]")
    page.click("#table-columns button[type=submit]")
    city_header = page.locator("table.data thead th").filter(has_text="עיר")
    city_header.wait_for()
    city_header.locator("a").click()
    page.wait_for_function(
        "() => document.querySelector('table.data thead th[aria-sort=ascending]') !== null"
    )
    headers = page.locator("table.data thead th").all_inner_texts()
    city_index = next(i for i, text in enumerate(headers) if "עיר" in text)
    cities = page.locator(f"table.data tbody tr td:nth-child({city_index + 1})").all_inner_texts()
    # The database's collation orders the cities; check a few Hebrew ones.
    hebrew_in_order = ["אילת", "בני ברק", "ירושלים", "פתח תקווה", "תל אביב-יפו"]
    positions = [cities.index(city) for city in hebrew_in_order]
    assert positions == sorted(positions)
    screenshot(page, "foundation-list-sorted-by-city")

    # Export the view to Excel: Hebrew headers, phones as text with the zero.
    with page.expect_download() as download_info:
        page.click("a[href*='format=xlsx']")
    path = tmp_path / "export.xlsx"
    download_info.value.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "עיר" in rows[0]
    assert sheet.sheet_view.rightToLeft
    exported_cities = [row[rows[0].index("עיר")] for row in rows[1:]]
    assert exported_cities == cities
    mobile_column = next(i for i, header in enumerate(rows[0]) if header and "נייד" in header)
    mobiles = [row[mobile_column] for row in rows[1:] if row[mobile_column]]
    assert "050-000-0002" in mobiles
    assert all(isinstance(value, str) and value.startswith("0") for value in mobiles)
