// Pages and deletions for Junction connectors in JavaScript.
//
// A `page` record has four fields; these helpers fill the ones a connector does not use, so
// a connector written before deletions existed needs only `page(entities, nextCursor)`.
//
// Deletions: a system that marks deleted records (a trash status, a `deletedAt`) lets the
// connector report them while listing — declare the resource with `reportedDeletions` in
// the manifest's `deletions` and return `page(live, next, deletedIds)`; `splitDeleted`
// separates them. Resources not declared are reconciled by the host. During a
// reconciliation the host sets `request.idsOnly`: answer with `idsPage` when the system can
// list ids cheaply, or ignore it and return full records.

/** A page of records; `nextCursor` undefined on the last page, `deleted`: ids the system deleted. */
export function page(entities, nextCursor, deleted = []) {
  return { entities, nextCursor: nextCursor ?? undefined, deleted: deleted.map(String), ids: [] };
}

/** The answer to an ids-only request: the listing's ids, in its order. */
export function idsPage(ids, nextCursor) {
  return { entities: [], nextCursor: nextCursor ?? undefined, deleted: [], ids: ids.map(String) };
}

/** A manifest `deletions` entry: the system reports deletions (and, `alsoReconciled`, forgets some). */
export function reportedDeletions(resource, alsoReconciled = false) {
  return { resource, detection: { reported: true, reconciliation: alsoReconciled } };
}

/** A manifest `deletions` entry for a resource whose records the system never deletes. */
export function neverDeleted(resource) {
  return { resource, detection: { reported: false, reconciliation: false } };
}

/** Split records into `[live, deletedIds]` by a predicate, keeping the listing's order. */
export function splitDeleted(records, isDeleted, idOf) {
  const live = [];
  const deleted = [];
  for (const record of records) {
    if (isDeleted(record)) deleted.push(String(idOf(record)));
    else live.push(record);
  }
  return [live, deleted];
}
