"""The choices of the issue models: statuses, levels, priorities, activity types and
subscription reasons, with the values Sentry stores (the API shows their labels)."""

from django.db import models


class IssueStatus(models.IntegerChoices):
    UNRESOLVED = 0, "unresolved"
    RESOLVED = 1, "resolved"
    IGNORED = 2, "ignored"
    PENDING_DELETION = 3, "pending_deletion"
    DELETION_IN_PROGRESS = 4, "deletion_in_progress"
    PENDING_MERGE = 5, "pending_merge"


# Statuses in which an issue is invisible to the API (Sentry's EXCLUDED_STATUSES).
HIDDEN_STATUSES = (
    IssueStatus.PENDING_DELETION,
    IssueStatus.DELETION_IN_PROGRESS,
    IssueStatus.PENDING_MERGE,
)


class IssueSubstatus(models.TextChoices):
    NEW = "new"
    ONGOING = "ongoing"
    REGRESSED = "regressed"
    ESCALATING = "escalating"
    ARCHIVED_UNTIL_ESCALATING = "archived_until_escalating"
    ARCHIVED_UNTIL_CONDITION_MET = "archived_until_condition_met"
    ARCHIVED_FOREVER = "archived_forever"


class IssueLevel(models.IntegerChoices):
    SAMPLE = 0, "sample"
    DEBUG = 10, "debug"
    INFO = 20, "info"
    WARNING = 30, "warning"
    ERROR = 40, "error"
    FATAL = 50, "fatal"


class IssuePriority(models.IntegerChoices):
    LOW = 25, "low"
    MEDIUM = 50, "medium"
    HIGH = 75, "high"


class ActivityType(models.IntegerChoices):
    SET_RESOLVED = 1, "set_resolved"
    SET_UNRESOLVED = 2, "set_unresolved"
    SET_IGNORED = 3, "set_ignored"
    SET_PUBLIC = 4, "set_public"
    SET_PRIVATE = 5, "set_private"
    SET_REGRESSION = 6, "set_regression"
    CREATE_ISSUE = 7, "create_issue"
    NOTE = 8, "note"
    FIRST_SEEN = 9, "first_seen"
    RELEASE = 10, "release"
    ASSIGNED = 11, "assigned"
    UNASSIGNED = 12, "unassigned"
    SET_RESOLVED_IN_RELEASE = 13, "set_resolved_in_release"
    MERGE = 14, "merge"
    SET_RESOLVED_BY_AGE = 15, "set_resolved_by_age"
    SET_RESOLVED_IN_COMMIT = 16, "set_resolved_in_commit"
    DEPLOY = 17, "deploy"
    NEW_PROCESSING_ISSUES = 18, "new_processing_issues"
    UNMERGE_SOURCE = 19, "unmerge_source"
    UNMERGE_DESTINATION = 20, "unmerge_destination"
    SET_RESOLVED_IN_PULL_REQUEST = 21, "set_resolved_in_pull_request"
    # Sentry's number; 22-25 (reprocess, reviewed, auto-ongoing, escalating) are not written
    # here.
    SET_PRIORITY = 26, "set_priority"


class SubscriptionReason(models.IntegerChoices):
    UNKNOWN = 0, "unknown"
    COMMENT = 1, "commented"
    ASSIGNED = 2, "assigned"
    BOOKMARK = 3, "bookmarked"
    STATUS_CHANGE = 4, "changed_status"
    DEPLOY_SETTING = 5, "deploy_setting"
    MENTIONED = 6, "mentioned"
    TEAM_MENTIONED = 7, "team_mentioned"
