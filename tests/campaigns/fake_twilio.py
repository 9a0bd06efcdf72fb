"""A local stand-in for the Twilio REST API: it takes Messages.create calls and keeps them."""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeTwilio:
    """Serve POST /2010-04-01/Accounts/<sid>/Messages.json on 127.0.0.1."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_with: int | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
                length = int(self.headers.get("Content-Length", 0))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                params = {key: values[0] for key, values in form.items()}
                if fake.fail_with is not None:
                    self._reply(
                        fake.fail_with,
                        {"code": 21211, "message": "Invalid 'To' number", "status": fake.fail_with},
                    )
                    return
                fake.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization", ""), **params}
                )
                sid = f"SM{len(fake.requests):032x}"
                self._reply(
                    201,
                    {
                        "sid": sid,
                        "status": "queued",
                        "to": params.get("To"),
                        "body": params.get("Body"),
                    },
                )

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
