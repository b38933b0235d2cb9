"""What an update of an issue asks, in domain terms: made by issues.validators from a PUT body
(the admin's form goes through it too), applied by issues.services.issue_update. Neither side
imports the other; Sentry's wire names ("resolvedInNextRelease", "assignedTo", "") stop at
the validator."""

from dataclasses import dataclass

from accounts.models import Team, User
from issues.models import IssuePriority
from issues.status import StatusChange


@dataclass(frozen=True)
class Assignment:
    """Assign the issue to a user or a team of its project; None takes the assignment away."""

    owner: User | Team | None


@dataclass(frozen=True)
class IssueChanges:
    """The changes of one update; a field left None changes nothing. issue_update applies
    them in Sentry's order, the order of the fields. discard is not one of them: a discard is
    the whole of its request (the validator refuses anything beside it), done by
    issue_discard."""

    priority: IssuePriority | None = None
    status: StatusChange | None = None
    assignment: Assignment | None = None
    has_seen: bool | None = None
    is_bookmarked: bool | None = None
    is_subscribed: bool | None = None
    is_public: bool | None = None
    discard: bool = False
