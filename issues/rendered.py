"""Issue documents rendered before, kept per process by what they were rendered from.

An issue document (the GET's, PUT's, a list's item) is a function of: its issue's rows as
issues.gather read them (their text, the requester's membership and bookmark included);
the requester's own row; the project and organization rows the list read; the URL prefix
and the keys, stats label and stats buckets the request asks; and the time, only through
the status a reader sees (a new issue turns ongoing a week after its first event, a snooze
ends at its `until`: IssueContext.until). The key is all of those but the time, as values;
an entry holds until its document's `until`. A row that changed is a new key, so a document
shown again is the one its rows give now (issues_api.memo); nothing is invalidated.

Building and rendering the documents was most of a list's work and a third of the GET's,
the same from one request to the next while the issues do not change (issue 10).
"""

from collections.abc import Callable
from dataclasses import astuple, dataclass
from datetime import datetime

from issues.documents import IssueContext, Key, render
from issues.gather import IssueRows, build_issues
from issues.parts import Gathered, IssueCounts
from issues_api.memo import TextMemo


@dataclass(frozen=True, slots=True)
class Rendered:
    document: dict
    # When time alone changes the document (IssueContext.until); None: only its rows can.
    until: datetime | None


def _size(key) -> int:
    return sum(len(value) for value in key[0] if isinstance(value, str))


# Bounded by entries and by the rows' text they are keyed by (an item's rows are 1 to 3 KB).
_documents = TextMemo(entries=2048, text=6_000_000, size_of=_size)


def row_values(instance) -> tuple:
    """A model instance's values, in its concrete fields' order: what a key holds of it."""
    return tuple(getattr(instance, field.attname) for field in instance._meta.concrete_fields)


def rendered_documents(
    read: IssueRows,
    *,
    keys: tuple[Key, ...],
    requester,
    permalink_prefix: str,
    stats_label: str = "",
    filtered: dict[int, IssueCounts] | None = None,
    built: Callable[[], dict[int, Gathered]] | None = None,
) -> dict[int, dict]:
    """{issue id: its document} for the issues read, each rendered with `keys` unless an
    earlier request rendered it from the same values. The documents are shared: a caller
    that adds to one copies it first. `filtered` holds the organization list's counts within
    its search (issues.stream), `built` the issues already built for them."""
    request = (
        tuple(map(id, keys)),
        row_values(requester),
        permalink_prefix,
        stats_label,
        tuple((rollup, tuple(buckets)) for rollup, buckets in read.series.values()),
    )
    projects = {
        project.pk: (row_values(project), row_values(project.organization))
        for project in read.projects or ()
    }
    now = read.now
    filtered = filtered or {}
    documents = {}
    for row in read.rows:
        issue_id = row["id"]
        counts = filtered.get(issue_id)
        key = (
            tuple(row.values()),
            request,
            projects.get(row["project_id"]),
            astuple(counts) if counts is not None else None,
        )

        def make(row=row, counts=counts) -> Rendered:
            gathered = built()[row["id"]] if built else build_issues(read, [row])[0]
            context = IssueContext(
                gathered.issue,
                parts=gathered.parts,
                requester=requester,
                permalink_prefix=permalink_prefix,
                now=now,
                stats_label=stats_label,
                filtered=counts,
            )
            return Rendered(render(keys, context), context.until())

        rendered = _documents.get(
            key, make, fresh=lambda kept: kept.until is None or now < kept.until
        )
        documents[issue_id] = rendered.document
    return documents
