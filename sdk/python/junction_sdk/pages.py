"""Pages and deletions for Junction connectors in Python.

A `Page` record has four fields; these helpers fill the ones a connector does not use, so a
connector written before deletions existed needs only `page(entities, next_cursor)`.

Deletions: a system that marks deleted records (a trash status, a `deleted_at`) lets the
connector report them while listing — declare the resource with `reported_deletions` in the
manifest's `deletions` and return `page(live, next, deleted_ids)`; `split_deleted` separates
them. Resources not declared are reconciled by the host. During a reconciliation the host
sets `request.ids_only`: answer with `ids_page` when the system can list ids cheaply, or
ignore it and return full records.
"""

from __future__ import annotations

from typing import Callable, Iterable, List, Optional, Sequence, Tuple, TypeVar

from wit_world.imports import junction_connector_types as t

R = TypeVar("R")


def page(entities: Sequence[t.Entity], next_cursor: Optional[str] = None, deleted: Iterable[str] = ()) -> t.Page:
    """A page of records; `next_cursor` None on the last page, `deleted`: ids the system deleted."""
    return t.Page(list(entities), next_cursor, [str(i) for i in deleted], [])


def ids_page(ids: Iterable[str], next_cursor: Optional[str] = None) -> t.Page:
    """The answer to an ids-only request: the listing's ids, in its order."""
    return t.Page([], next_cursor, [], [str(i) for i in ids])


def reported_deletions(resource: t.ResourceKind, also_reconciled: bool = False) -> t.ResourceDeletions:
    """A manifest `deletions` entry: the system reports deletions (and, `also_reconciled`, forgets some)."""
    detection = t.DeletionDetection.REPORTED
    if also_reconciled:
        detection |= t.DeletionDetection.RECONCILIATION
    return t.ResourceDeletions(resource, detection)


def never_deleted(resource: t.ResourceKind) -> t.ResourceDeletions:
    """A manifest `deletions` entry for a resource whose records the system never deletes."""
    return t.ResourceDeletions(resource, t.DeletionDetection(0))


def split_deleted(records: Iterable[R], is_deleted: Callable[[R], bool], id_of: Callable[[R], object]) -> Tuple[List[R], List[str]]:
    """Split records into (live, deleted ids) by a predicate, keeping the listing's order."""
    live: List[R] = []
    deleted: List[str] = []
    for record in records:
        if is_deleted(record):
            deleted.append(str(id_of(record)))
        else:
            live.append(record)
    return live, deleted
