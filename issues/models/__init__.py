"""Issues and everything hanging off them, plus the read models that make a GET cheap.

Events enter only through issues.services.record_event, which keeps the counters on Issue and
the read models (IssueEnvironment, IssueUser, IssueHourlyCount, IssueDailyCount, their
all-environment totals IssueHourlyTotal and IssueDailyTotal, IssueTagKey, IssueTagValue)
current in the same transaction. Models hold no hidden side effects.

One module per aggregate; import the models from here (`from issues.models import Issue`):
- choices: statuses, levels, priorities, activity types, subscription reasons;
- issue: Issue and its one-to-ones (Share, Assignee, Snooze, Resolution);
- event: Environment, Event, the hashes and tombstones that route events, UserReport;
- activity: Activity, IssueSeen, Bookmark, Subscription;
- read_models: the counters record_event keeps per environment, hour, day and tag;
- ingest: IngestItem, the queue of events accepted from SDKs and not yet digested, and
  IngestFailure, those the digest set aside.
"""

from issues.models.activity import Activity, Bookmark, IssueSeen, Subscription
from issues.models.choices import (
    HIDDEN_STATUSES,
    ActivityType,
    IssueLevel,
    IssuePriority,
    IssueStatus,
    IssueSubstatus,
    SubscriptionReason,
)
from issues.models.event import Environment, Event, IssueHash, IssueTombstone, UserReport
from issues.models.ingest import IngestFailure, IngestItem
from issues.models.issue import Assignee, Issue, Resolution, Share, Snooze, issue_title
from issues.models.read_models import (
    IssueDailyCount,
    IssueDailyTotal,
    IssueEnvironment,
    IssueHourlyCount,
    IssueHourlyTotal,
    IssueTagKey,
    IssueTagValue,
    IssueUser,
)

__all__ = [
    "HIDDEN_STATUSES",
    "Activity",
    "ActivityType",
    "Assignee",
    "Bookmark",
    "Environment",
    "Event",
    "IngestFailure",
    "IngestItem",
    "Issue",
    "IssueDailyCount",
    "IssueDailyTotal",
    "IssueEnvironment",
    "IssueHash",
    "IssueHourlyCount",
    "IssueHourlyTotal",
    "IssueLevel",
    "IssuePriority",
    "IssueSeen",
    "IssueStatus",
    "IssueSubstatus",
    "IssueTagKey",
    "IssueTagValue",
    "IssueTombstone",
    "IssueUser",
    "Resolution",
    "Share",
    "Snooze",
    "Subscription",
    "SubscriptionReason",
    "UserReport",
    "issue_title",
]
