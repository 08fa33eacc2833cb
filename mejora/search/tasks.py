"""Index maintenance too large for the commit that caused it (an import) runs on the queue."""

from __future__ import annotations

from django_tasks import task


@task()
def search_refresh_task(*, changes: dict[str, list[int]]) -> dict[str, int]:
    """Write again the entries (and near-duplicate pairs) of the records an import changed."""
    from mejora.search.indexing import index_refresh

    index_refresh(changes)
    return {label: len(ids) for label, ids in changes.items()}
