"""Helpers for Junction connectors written in Python (componentize-py).

- `junction_sdk.errors`: the contract's `connector-error` cases as exceptions to raise, and
  the mapping of HTTP answers onto them (`error_message` reads the common API error bodies).
- `junction_sdk.http`: a small blocking HTTP client over `wasi:http` (the sandbox has no
  sockets, so `urllib` and `requests` cannot work inside a connector).
- `junction_sdk.pages`: pages (`page`, `ids_page` for reconciliation scans) and deletions
  (`reported_deletions`, `never_deleted`, `split_deleted`).
- `junction_sdk.batch`: `write_each`, the one-by-one default of `write_batch` (results in op
  order, nothing sent after a `rate-limited` answer).
- `junction_sdk.time`: timestamps in any common API form to the contract's canonical UTC
  string (`normalize_utc`), epoch seconds both ways, naive UTC for queries.
- `junction_sdk.decimal`: decimal strings for money, validated (`normalize`) and with exact
  arithmetic (`add`, `subtract`, `multiply`, `compare`, `sum`).
- `junction_sdk.paging`: opaque cursors (`encode_cursor`/`decode_cursor`, the same encoding
  as the Rust and JavaScript SDKs) and `Link` headers (`next_link`).
- `junction_sdk.config`: the config JSON with every error naming its field (`parse`,
  `http_url`, `non_empty`, `timeout_seconds`).
- `junction_sdk.url`: absolute URLs on `urllib.parse` (`Url.parse`, `push_segment`,
  `append_query_pair`, `query_pairs`, `encode_segment`).

All import the bindings componentize-py generates for the `junction:connector/plugin`
world (`wit_world`), so they work in any connector built against `wit/connector.wit`.
The same helpers exist in the Rust SDK (`junction_sdk::time`, ...) and the JavaScript SDK
(`lib/time.js`, ...), with the same behaviour.
"""
