"""Schemathesis hooks of test/integration/openapi-conformance.test.ts (SCHEMATHESIS_HOOKS=hooks).

Two rules of the API cannot be written in an OpenAPI document; schema-valid requests that break
them are not sent (case hooks, so every phase honours them). Requests the document already calls
invalid are sent as generated: the API refuses them either way.
"""

from datetime import datetime, timedelta, timezone

import schemathesis
from schemathesis import GenerationMode


def _positive(case):
    meta = getattr(case, "meta", None)
    return meta is None or meta.generation.mode == GenerationMode.POSITIVE


def _bound(value, is_end):
    """created_from / created_to as api/routes/order-list.ts reads them (a date is a whole UTC day)."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
            return day + timedelta(days=1) if is_end else day
        return datetime.fromisoformat(value.upper())
    except ValueError:
        return None


def _window_is_empty(query):
    # GET /v1/orders: created_to must be after created_from (400 validation_failed otherwise), each
    # defaulting as defaultWindow() does (one year ago, tomorrow): a comparison of two parameters.
    today = datetime.now(timezone.utc).date()
    start = _bound(query.get("created_from", (today - timedelta(days=365)).isoformat()), False)
    end = _bound(query.get("created_to", (today + timedelta(days=1)).isoformat()), True)
    if start is None or end is None:
        return False
    try:
        return end <= start
    except TypeError:  # one with an offset, one without: not ours to judge
        return False


@schemathesis.hook
def filter_case(ctx, case):
    if not _positive(case) or not isinstance(case.query, dict):
        return True
    # A pagination cursor is opaque: only a `next_cursor` the API handed out is one, anything else is
    # `400 cursor_invalid` (docs/error-codes.md). No document can list the cursors that exist.
    if case.query.get("cursor"):
        return False
    if case.method.upper() == "GET" and case.path == "/v1/orders" and _window_is_empty(case.query):
        return False
    return True
