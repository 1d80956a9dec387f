"""The connector's own unit tests, run natively in about a second (no component, no host):

    PYTHONPATH=bindings python3 -m unittest discover -s tests -t .

(`bindings/` is what `junction connector build` generates for the contract.) They call the
connector as the host would, against a small example API served here.
"""

import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from junction_sdk import native

native.install()

import app  # noqa: E402  (after install: the connector's module, as the component loads it)
from componentize_py_types import Err  # noqa: E402
from wit_world.imports import junction_connector_types as t  # noqa: E402

ITEMS = [
    {"id": n, "name": f"Item {n}", "price": f"{n}.00", "updated_at": f"2026-01-0{n}T00:00:00Z"}
    for n in range(1, 6)
]


class ExampleApi(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the http.server spelling)
        if self.headers.get("x-api-key") != "t-key":
            self.answer(401, {"error": "bad key"})
            return
        query = parse_qs(urlsplit(self.path).query)
        page = int(query.get("page", ["1"])[0])
        per_page = int(query.get("per_page", ["10"])[0])
        items = ITEMS[(page - 1) * per_page : page * per_page]
        self.answer(200, {"items": items, "has_more": page * per_page < len(ITEMS)})

    def answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


class ConnectorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), ExampleApi)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.base_url = f"http://127.0.0.1:{cls.server.server_address[1]}"

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.shutdown()

    def config(self, api_key: str = "t-key") -> str:
        return json.dumps({"base_url": self.base_url, "api_key": api_key})

    def test_lists_every_product_page_by_page(self) -> None:
        seen, cursor = [], None
        while True:
            request = t.ListRequest(
                resource=t.ResourceKind.PRODUCTS,
                updated_since=None,
                cursor=cursor,
                page_size=2,
                parent_id=None,
                ids_only=False,
            )
            page = app.Connector().list(self.config(), request)
            seen += [entity.value.external_id for entity in page.entities]
            cursor = page.next_cursor
            if cursor is None:
                break
        self.assertEqual(seen, ["1", "2", "3", "4", "5"])

    def test_a_refused_key_is_unauthorized(self) -> None:
        with self.assertRaises(Err) as refused:
            app.Connector().check(self.config("nope"))
        self.assertIsInstance(refused.exception.value, t.ConnectorError_Unauthorized)

    def test_the_manifest_declares_the_key_secret(self) -> None:
        manifest = app.Connector().manifest()
        self.assertTrue(json.loads(manifest.config_schema)["properties"]["api_key"]["writeOnly"])


if __name__ == "__main__":
    unittest.main()
