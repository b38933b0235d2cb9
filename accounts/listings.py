"""Reads (selectors) of the project, team and member lists and of the parts their documents
show, each part for a whole page in one query (Sentry's get_attrs), never one per row.

`?query=` is read as Sentry's tokenize_query reads it: words are the free-text "query",
`key:value` tokens filter by key (a key given twice keeps both values), and a key the list
does not know lists nothing, as in Sentry.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError

from accounts.models import Organization, OrganizationMember, Project, Team, User, UserEmail
from accounts.roles import ROLE_SCOPES
from issues_api.api.numbers import as_bigint, is_ascii_number

MEMBER_TEAMS = OrganizationMember.teams.through
PROJECT_TEAMS = Project.teams.through


# ---- ?query= ---------------------------------------------------------------------------------


def _split_tokens(query: str) -> list[str]:
    """Sentry's split_query_into_tokens: whitespace separates tokens, except inside quotes
    and after a word ending in ":" (`user: foo` is one token)."""
    tokens, token, quote = [], "", None
    for char in query:
        if char.isspace() and quote is None and not token.rstrip().endswith(":"):
            if token.strip():
                tokens.append(token.strip())
            token = ""
            continue
        token += char
        if char in "\"'" and (quote is None or quote == char):
            quote = None if quote else char
    if token.strip():
        tokens.append(token.strip())
    return tokens


def tokenize_query(query: str) -> dict[str, list[str]]:
    """{"query": [words...], key: [values...]} as Sentry's tokenize_query."""
    result: dict[str, list[str]] = defaultdict(list)
    for token in _split_tokens(query):
        if token.upper() in ("OR", "AND") or token.strip("()") == "":
            continue
        colon = token.find(":")
        next_char = token[colon + 1 : colon + 2] if colon >= 0 else ""
        if colon <= 0 or token[0] in "\"'" or next_char in (":", " ", ""):
            result["query"].append(token.strip('"()'))
            continue
        key = token[:colon].lstrip("(").strip('"')
        result[key].append(token[colon + 1 :].rstrip(")").strip('"'))
    return dict(result)


def _integers(values: list[str], message: str) -> list[int]:
    """The values as ids; ParseError(message, with {value} the first that is none)."""
    numbers = []
    for value in values:
        number = as_bigint(value) if is_ascii_number(value) else None
        if number is None:
            raise ParseError(message.format(value=value))
        numbers.append(number)
    return numbers


class InvalidProjectIds(APIException):
    """The 400 Sentry's organization project list answers to a non-numeric `id:`, in its own
    (legacy) body, not {"detail": ...}."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self):
        message = "All 'id' values must be integers."
        super().__init__({"error": {"params": {"stats_period": {"message": message}}}})


# ---- Organizations and memberships ----------------------------------------------------------


def organization_for_request(user, id_or_slug: str) -> Organization | None:
    """The organization a URL names (by id, or by slug when not a number) with the
    requester's membership left on it as `requester_membership` (its pk and role; None for
    none), in one query; None when there is none."""
    if is_ascii_number(id_or_slug):
        number = as_bigint(id_or_slug)
        if number is None:
            return None
        named = Q(pk=number)
    else:
        named = Q(slug=id_or_slug)
    member = OrganizationMember.objects.filter(organization_id=OuterRef("pk"), user_id=user.pk)
    organization = (
        Organization.objects.filter(named)
        .annotate(
            requester_member_id=Subquery(member.values("pk")[:1]),
            requester_role=Subquery(member.values("role")[:1]),
        )
        .first()
    )
    if organization is None:
        return None
    organization.requester_membership = None
    if organization.requester_member_id is not None:
        organization.requester_membership = OrganizationMember(
            pk=organization.requester_member_id,
            organization_id=organization.pk,
            user_id=user.pk,
            role=organization.requester_role,
        )
    return organization


@dataclass
class Requester:
    """Who reads a list, as its documents need it: per organization, the role and the teams."""

    user: User
    roles: dict[int, str] = field(default_factory=dict)
    team_ids: set[int] = field(default_factory=set)

    @property
    def is_superuser(self) -> bool:
        return self.user.is_superuser and self.user.is_active


def requester(user, organization_ids) -> Requester:
    """The requester's roles in these organizations and its teams there: one query."""
    found = Requester(user=user)
    rows = OrganizationMember.objects.filter(
        user_id=user.pk, organization_id__in=list(organization_ids)
    ).values_list("organization_id", "role", "teams")
    for organization_id, role, team_id in rows:
        found.roles[organization_id] = role
        if team_id is not None:
            found.team_ids.add(team_id)
    return found


# ---- Projects -------------------------------------------------------------------------------


def _filter_projects(projects: QuerySet, tokens: dict, *, organization=None, user=None):
    for key, values in tokens.items():
        if key == "query":
            text = " ".join(values)
            projects = projects.filter(Q(name__icontains=text) | Q(slug__icontains=text))
        elif key == "id":
            projects = projects.filter(pk__in=_integers(values, "Invalid project ID: {value}"))
        elif key == "slug":
            projects = projects.filter(slug__in=values)
        elif key == "name" and organization is None:
            named = Q()
            for value in values:
                named |= Q(name__iexact=value)
            projects = projects.filter(named)
        elif key in ("team", "!team") and organization is not None:
            in_teams = Exists(
                PROJECT_TEAMS.objects.filter(
                    project_id=OuterRef("pk"),
                    team__organization=organization,
                    team__slug__in=values,
                )
            )
            projects = projects.filter(in_teams if key == "team" else ~in_teams)
        elif key == "is_member" and organization is not None:
            projects = projects.filter(_in_teams_of(user))
        elif key == "dsn" and organization is None:
            projects = projects.filter(keys__public_key__in=values)
        else:
            projects = projects.none()
    return projects


def _in_teams_of(user) -> Exists:
    return Exists(
        PROJECT_TEAMS.objects.filter(
            project_id=OuterRef("pk"),
            team__members__user_id=user.pk,
        )
    )


def organization_projects(organization, *, user, query: str | None) -> QuerySet:
    """The organization's projects by slug, as Sentry lists them to any member: with closed
    membership too (the documents say which the requester has access to)."""
    projects = Project.objects.filter(organization=organization)
    if query:
        tokens = tokenize_query(query)
        if not all(is_ascii_number(value) for value in tokens.get("id", ())):
            raise InvalidProjectIds
        projects = _filter_projects(projects, tokens, organization=organization, user=user)
    return projects.order_by("slug", "pk")


def user_projects(user, *, query: str | None, status: str, organization_id: str | None):
    """The projects of the requester's teams, in every organization, newest first (Sentry's
    ProjectIndexEndpoint); an active superuser asking `show=all` is the caller's to decide."""
    projects = Project.objects.filter(_in_teams_of(user))
    if status not in ("active", ""):
        # Projects are never disabled or deleted here: "deleted" (and any other) lists none.
        projects = projects.none()
    if organization_id:
        projects = projects.filter(organization_id=as_bigint(organization_id) or 0)
    if query:
        projects = _filter_projects(projects, tokenize_query(query))
    return projects.select_related("organization").order_by("-date_added", "-pk")


def all_projects(*, query: str | None):
    projects = Project.objects.all()
    if query:
        projects = _filter_projects(projects, tokenize_query(query))
    return projects.select_related("organization").order_by("-date_added", "-pk")


def project_teams(project_ids) -> dict[int, list[Team]]:
    """Each project's teams, in the order they were added: one query."""
    teams: dict[int, list[Team]] = defaultdict(list)
    rows = (
        PROJECT_TEAMS.objects.filter(project_id__in=list(project_ids))
        .select_related("team")
        .order_by("pk")
    )
    for row in rows:
        teams[row.project_id].append(row.team)
    return teams


# ---- Teams ----------------------------------------------------------------------------------


def _with_member_count(teams: QuerySet) -> QuerySet:
    return teams.annotate(
        member_count=Count("members", filter=Q(members__user__is_active=True), distinct=True)
    )


def organization_teams(organization, *, query: str | None) -> QuerySet:
    """The organization's teams by slug (Sentry's OrganizationTeamsEndpoint)."""
    teams = Team.objects.filter(organization=organization)
    for key, values in tokenize_query(query).items() if query else ():
        if key == "query":
            text = " ".join(values)
            teams = teams.filter(Q(name__icontains=text) | Q(slug__icontains=text))
        elif key == "slug":
            teams = teams.filter(slug__in=values)
        elif key == "id":
            teams = teams.filter(pk__in=_integers(values, "Invalid id value"))
        elif key == "hasExternalTeams":
            # No external (integration) teams here: true lists none, false every team.
            if "true" in values:
                teams = teams.none()
        else:
            teams = teams.none()
    return _with_member_count(teams).order_by("slug", "pk")


def team_for_request(user, organization_id_or_slug: str, team_id_or_slug: str) -> Team | None:
    """The team a URL names (the organization by id or slug; the team by slug, else by id),
    with its organization and the requester's membership (`requester_membership`: role and
    whether it is on the team, None for none) in one query."""
    organization = organization_for_request(user, organization_id_or_slug)
    if organization is None:
        return None
    named = Q(slug=team_id_or_slug)
    if is_ascii_number(team_id_or_slug) and as_bigint(team_id_or_slug) is not None:
        named |= Q(pk=as_bigint(team_id_or_slug))
    on_team = MEMBER_TEAMS.objects.filter(
        team_id=OuterRef("pk"), organizationmember__user_id=user.pk
    )
    found = list(
        Team.objects.filter(named, organization=organization).annotate(
            requester_on_team=Exists(on_team)
        )[:2]
    )
    if not found:
        return None
    team = next((t for t in found if t.slug == team_id_or_slug), found[0])
    team.organization = organization
    team.requester_membership = organization.requester_membership
    return team


def team_projects(team) -> QuerySet:
    """The team's projects by slug (Sentry's TeamProjectsEndpoint)."""
    return Project.objects.filter(teams=team).order_by("slug", "pk")


def teams_projects(team_ids) -> dict[int, list[Project]]:
    """The projects of each team, by slug: one query."""
    projects: dict[int, list[Project]] = defaultdict(list)
    rows = (
        PROJECT_TEAMS.objects.filter(team_id__in=list(team_ids))
        .select_related("project")
        .order_by("project__slug", "project_id")
    )
    for row in rows:
        projects[row.team_id].append(row.project)
    return projects


# ---- Members --------------------------------------------------------------------------------


def organization_members(organization, *, query: str | None) -> QuerySet:
    """The organization's members whose user is active, in the order they joined (Sentry's
    OrganizationMemberIndexEndpoint; there are no invitations here)."""
    members = OrganizationMember.objects.filter(organization=organization, user__is_active=True)
    for key, values in tokenize_query(query).items() if query else ():
        if key == "email":
            addresses = Q()
            for value in values:
                addresses |= Q(user__email__iexact=value) | Q(user__emails__email__iexact=value)
            members = members.filter(addresses)
        elif key in ("id", "user.id"):
            # As Sentry: values that are not ids are dropped; none left lists nothing.
            ids = [as_bigint(value) for value in values if as_bigint(value) is not None]
            members = members.filter(**{"pk__in" if key == "id" else "user_id__in": ids})
        elif key == "role":
            members = members.filter(role__in=values)
        elif key == "scope":
            roles = [role for role, scopes in ROLE_SCOPES.items() if scopes & set(values)]
            members = members.filter(role__in=roles)
        elif key == "has2fa":
            members = members.filter(user__has_2fa="true" in values)
        elif key in ("isInvited", "ssoLinked", "hasExternalUsers"):
            # No invitations, SSO or external users here: "true" lists none.
            if "true" in values:
                members = members.none()
        elif key == "query":
            text = " ".join(values)
            members = members.filter(
                Q(user__name__icontains=text)
                | Q(user__username__icontains=text)
                | Q(user__email__icontains=text)
            )
        else:
            members = members.none()
    return members.select_related("user").distinct().order_by("pk")


def user_emails(user_ids) -> dict[int, list[UserEmail]]:
    """Each user's addresses, in the order they were added: one query."""
    emails: dict[int, list[UserEmail]] = defaultdict(list)
    for email in UserEmail.objects.filter(user_id__in=list(user_ids)).order_by("pk"):
        emails[email.user_id].append(email)
    return emails


def user_for_request(requester, user_id: str) -> User | None:
    """The user a URL names: "me" (or the requester's own id) is the requester, read by no
    query; another id is looked up (None when there is none)."""
    if user_id == "me" or user_id == str(requester.pk):
        return requester
    if not is_ascii_number(user_id) or as_bigint(user_id) is None:
        return None
    return User.objects.filter(pk=as_bigint(user_id)).first()
