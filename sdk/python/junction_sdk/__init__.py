"""Helpers for Junction connectors written in Python (componentize-py).

- `junction_sdk.errors`: the contract's `connector-error` cases as exceptions to raise, and
  the mapping of HTTP answers onto them.
- `junction_sdk.http`: a small blocking HTTP client over `wasi:http` (the sandbox has no
  sockets, so `urllib` and `requests` cannot work inside a connector).
- `junction_sdk.pages`: pages (`page`, `ids_page` for reconciliation scans) and deletions
  (`reported_deletions`, `never_deleted`, `split_deleted`).
- `junction_sdk.batch`: `write_each`, the one-by-one default of `write_batch` (results in op
  order, nothing sent after a `rate-limited` answer).

All import the bindings componentize-py generates for the `junction:connector/plugin`
world (`wit_world`), so they work in any connector built against `wit/connector.wit`.
"""
