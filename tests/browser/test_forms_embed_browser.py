"""The embed snippets work from a page of another origin, in real Chromium."""

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from contacts import actions as contact_actions
from contacts.models import Contact
from forms import rendering
from forms.models import Form, Submission
from forms.queries import load_definition
from tests.browser.support import screenshot
from tests.forms.conftest import build_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop() -> Iterator[Callable[[str], str]]:
    """Serve a shop's page from another loopback origin; return a setter for its HTML.

    A real server is needed: Chromium blocks requests from a page whose
    address it cannot place on the local network to the loopback test
    server.
    """
    html = {"body": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
            body = html["body"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def publish(body: str) -> str:
        html["body"] = body
        return f"http://127.0.0.1:{server.server_address[1]}/landing"

    yield publish
    server.shutdown()
    server.server_close()


@pytest.fixture
def site_url(settings, live_server) -> str:
    """Point absolute links (the snippets' addresses) at the test server."""
    settings.SITE_URL = live_server.url
    return live_server.url


def test_html_snippet_posts_from_another_origin(page, shop, site_url, account):
    contact_actions.create_custom_field(account, label="מקור", key="source", type="text")
    form = build_form(account, hidden={"source": "site"}, query_param="utm_source")
    snippet = rendering.embed_snippet(load_definition(form))

    # A shop's page on another origin, opened with a campaign parameter.
    shop_url = shop(f'<!doctype html><html dir="rtl"><body><h1>החנות</h1>{snippet}</body></html>')
    page.goto(shop_url + "?utm_source=instagram")
    page.fill("input[name=email]", "shop@example.com")
    page.fill("input[name=first_name]", "שירה")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=thank-you]")
    screenshot(page, "forms-embed-html-thanks")

    contact = Contact.objects.get(account=account, email="shop@example.com")
    assert contact.fields["source"] == "instagram"
    submission = Submission.objects.get(form=form)
    assert submission.nonce != ""
    assert Form.objects.get(pk=form.pk).view_count == 1


def test_iframe_shows_thanks_inside_the_frame(page, shop, site_url, account):
    form = build_form(account)
    snippet = rendering.iframe_snippet(form)
    shop_url = shop(f"<!doctype html><html><body><h1>Shop</h1>{snippet}</body></html>")

    page.goto(shop_url)
    frame = page.frame_locator("iframe")
    frame.locator("input[name=email]").fill("frame@example.com")
    frame.locator("button[type=submit]").click()
    frame.locator("[data-testid=thank-you]").wait_for()

    assert page.url == shop_url
    assert Contact.objects.filter(account=account, email="frame@example.com").exists()
