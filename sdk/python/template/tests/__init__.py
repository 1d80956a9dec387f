"""The connector's native unit tests (see test_app.py)."""
