"""Twilio list paging: PageSize / Page / PageToken in, page envelopes out.

The 2010 API answers with relative ``*_page_uri`` fields next to the items; the v1 APIs with an
absolute-URL ``meta`` object. Page tokens are ``PA<sid>`` ("after this item") and ``PB<sid>``
("before this item"), so a page stays stable while newer items arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class PageRequest:
    """The paging parameters of one list request."""

    page_size: int
    page: int
    token: str | None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> PageRequest:
        """Read PageSize, Page and PageToken (out-of-range values are clamped)."""
        return cls(
            page_size=min(max(_int(query.get("PageSize"), DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE),
            page=max(_int(query.get("Page"), 0), 0),
            token=query.get("PageToken") or None,
        )


@dataclass(frozen=True, slots=True)
class _Window:
    start: int
    items: Sequence[Any]
    next_token: str | None
    previous_token: str | None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _window(items: Sequence[T], sid_of: Callable[[T], str], req: PageRequest) -> _Window:
    sids = [sid_of(item) for item in items]
    start = req.page * req.page_size
    if req.token and req.token[2:] in sids:
        anchor = sids.index(req.token[2:])
        if req.token.startswith("PA"):
            start = anchor + 1
        elif req.token.startswith("PB"):
            start = max(anchor - req.page_size, 0)
    chunk = items[start : start + req.page_size]
    has_next = start + req.page_size < len(items)
    return _Window(
        start=start,
        items=chunk,
        next_token=f"PA{sid_of(chunk[-1])}" if has_next and chunk else None,
        previous_token=f"PB{sid_of(chunk[0])}" if start > 0 and chunk else None,
    )


def _query(filters: Sequence[tuple[str, str]], size: int, page: int, token: str | None) -> str:
    params = [*filters, ("PageSize", str(size)), ("Page", str(page))]
    if token:
        params.append(("PageToken", token))
    return urlencode(params)


def page_2010(
    items: Sequence[T],
    *,
    key: str,
    path: str,
    filters: Sequence[tuple[str, str]],
    req: PageRequest,
    sid_of: Callable[[T], str],
    render: Callable[[T], dict[str, Any]],
) -> dict[str, Any]:
    """A 2010-API list page: ``{key: [...], uri, first_page_uri, next_page_uri, …}``."""
    w = _window(items, sid_of, req)
    size = req.page_size
    return {
        key: [render(item) for item in w.items],
        "end": w.start + max(len(w.items) - 1, 0),
        "first_page_uri": f"{path}?{_query(filters, size, 0, None)}",
        "next_page_uri": (
            f"{path}?{_query(filters, size, req.page + 1, w.next_token)}" if w.next_token else None
        ),
        "page": req.page,
        "page_size": size,
        "previous_page_uri": (
            f"{path}?{_query(filters, size, max(req.page - 1, 0), w.previous_token)}"
            if w.previous_token
            else None
        ),
        "start": w.start,
        "uri": f"{path}?{_query(filters, size, req.page, req.token)}",
    }


def page_v1(
    items: Sequence[T],
    *,
    key: str,
    url: str,
    req: PageRequest,
    sid_of: Callable[[T], str],
    render: Callable[[T], dict[str, Any]],
) -> dict[str, Any]:
    """A v1-API list page: ``{key: [...], meta: {url, first_page_url, next_page_url, …}}``."""
    w = _window(items, sid_of, req)
    size = req.page_size
    return {
        key: [render(item) for item in w.items],
        "meta": {
            "page": req.page,
            "page_size": size,
            "first_page_url": f"{url}?{_query((), size, 0, None)}",
            "previous_page_url": (
                f"{url}?{_query((), size, max(req.page - 1, 0), w.previous_token)}"
                if w.previous_token
                else None
            ),
            "url": f"{url}?{_query((), size, req.page, req.token)}",
            "next_page_url": (
                f"{url}?{_query((), size, req.page + 1, w.next_token)}" if w.next_token else None
            ),
            "key": key,
        },
    }
