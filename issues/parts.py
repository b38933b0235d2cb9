"""What a gathering (issues.gather) gives for an issue: the parts of its document beyond its
row, and the requester's membership, as the serializers read them."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from accounts.models import UserEmail
from issues.models import Activity, Issue, IssueSeen, Subscription
from releases.models import ReleaseProject

if TYPE_CHECKING:
    from issues.gather import IssueRows


@dataclass
class IssueCounts:
    times_seen: int
    user_count: int
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass
class IssueParts:
    """Everything beyond the issue row that the issue document shows. The detail parts
    (activity, releases, tags, stats, user reports) are only read for the GET document."""

    counts: IssueCounts
    seen: list[IssueSeen]
    subscriptions: list[Subscription]
    is_bookmarked: bool
    emails_by_user: dict[int, list[UserEmail]]
    activity: list[Activity] = field(default_factory=list)
    # The users the rows above name, as the statement read them: id -> the User's row
    # (issues_api.jsonrows), built by DocumentUsers only for a user no document showed yet.
    user_rows: dict[int, list] = field(default_factory=dict)
    # Their emails' rows, by user id, in the order Sentry lists them.
    user_email_rows: dict[int, list] = field(default_factory=dict)
    release_projects: list[ReleaseProject] = field(default_factory=list)
    tag_keys: list[tuple[str, int]] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    user_report_count: int = 0
    # The GET document's people (seen, subscriptions, activity, their users), as another
    # document with the same rows already had them: see People.
    people: "People | None" = None


@dataclass
class People:
    """What the GET document reads of the people around an issue (its seen, subscription and
    activity rows, and the users and emails they name), built from the statement's rows, and
    the parts of the document made of them (seenBy, participants, activity), by requester.

    Kept per process by the rows' text (issues.gather): a document whose rows are those an
    earlier one read shows what that one showed, without parsing, building or serializing
    them again. A change to any of those rows changes the text, and with it the key."""

    seen: list[IssueSeen]
    subscriptions: list[Subscription]
    activity: list[Activity]
    user_rows: dict[int, list]
    user_email_rows: dict[int, list]
    # (part, requester id) -> what issues.serializers made of the rows for that requester.
    shown: dict[tuple[str, int | None], list] = field(default_factory=dict)


@dataclass(frozen=True)
class Membership:
    """The requester's membership of the issue's organization: its role, and whether one of
    its teams has the issue's project."""

    role: str
    in_project_team: bool


@dataclass
class Gathered:
    issue: Issue
    parts: IssueParts | None
    # The requester's membership, when asked for; None when not a member.
    membership: Membership | None = None
    # The moment the parts were read at (their stats end there), for the serializer.
    now: datetime | None = None
    # The rows the issue was read from, when its parts were left unbuilt (access_issue).
    read: "IssueRows | None" = None
