"""The code's shape, kept true by tests (issue 11): imports run one way, and access has one
style.

Imports: the project package (issues_api: settings, URLs, the DRF plumbing every endpoint
shares) imports no app, naming app classes by dotted string where it needs them (settings,
`include("accounts.urls")`); accounts, which says who may see what, imports neither releases
nor issues; releases does not import issues. The modules are read as source (their ASTs),
so a lazy import inside a function counts as much as one at the top.

Access: every endpoint authenticates with the bearer token (settings, not the views), and its
permission classes are ScopedPermissions, whose one has_object_permission asks the app's
`access_for`; views decide no access themselves, and catch no DoesNotExist (the exception
handler answers Sentry's 404).
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.authentication import BearerTokenAuthentication
from issues_api.api.base import SentryEndpoint
from issues_api.api.permissions import ScopedPermission

REPOSITORY = Path(__file__).resolve().parents[1]

# Package -> the packages it must not import (nor any module under them).
FORBIDDEN_IMPORTS = {
    "issues_api": ("accounts", "issues", "releases"),
    "accounts": ("issues", "releases"),
    "releases": ("issues",),
    # Services take domain terms (issues.changes, issues.status), never the wire's validators.
    "issues/services": ("issues.validators",),
}
# Where access is decided; views call check_object_permissions instead.
ACCESS_SELECTORS = {"project_access", "organization_access"}
PERMISSIONS_MODULE = "issues_api/api/permissions.py"


def modules(package: str, root: Path = REPOSITORY):
    for path in sorted((root / package).rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path, tree: ast.AST, root: Path):
    """(line, module) for every import of the module, relative ones resolved, and every
    import_module("...") or __import__("...") of a constant name."""
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                yield node.lineno, ".".join([*base, *([node.module] if node.module else [])])
            else:
                yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield node.lineno, node.args[0].value


def is_under(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def wrong_way_imports(package: str, root: Path = REPOSITORY) -> list[str]:
    return sorted(
        f"{path.relative_to(root)}:{line} imports {module}"
        for path, tree in modules(package, root)
        for line, module in imported_names(path, tree, root)
        if any(is_under(module, forbidden) for forbidden in FORBIDDEN_IMPORTS[package])
    )


@pytest.mark.parametrize("package", sorted(FORBIDDEN_IMPORTS))
def test_no_import_runs_the_wrong_way(package):
    assert wrong_way_imports(package) == []


def test_the_import_scan_sees_imports_of_every_kind(tmp_path):
    """The rule cannot pass for want of reading: absolute, relative, lazy and dynamic
    imports of a forbidden package are all reported."""
    package = tmp_path / "accounts"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from .. import issues\n")
    (package / "sub" / "mod.py").write_text(
        "import releases.models\n"
        "from issues.seed import x\n"
        "def later():\n"
        "    from issues import seed\n"
        "    import importlib\n"
        "    importlib.import_module('issues.seed')\n"
        "from issues_api.api import dates\n"
        "from . import fine\n"
    )
    assert wrong_way_imports("accounts", root=tmp_path) == [
        "accounts/sub/mod.py:1 imports releases.models",
        "accounts/sub/mod.py:2 imports issues.seed",
        "accounts/sub/mod.py:4 imports issues",
        "accounts/sub/mod.py:6 imports issues.seed",
    ]
    # `from .. import issues` in accounts.sub names accounts (its own package): allowed.
    assert is_under("issues_api.api", "issues") is False


def test_seed_example_is_a_command_of_the_issues_app():
    """It builds the reference world of issues (accounts must not import issues.seed); its
    name stays, as the Makefile, bench/run.py and the CI call it."""
    commands = get_commands()
    assert commands["seed_example"] == "issues"
    assert commands["createtoken"] == "accounts"


# Access


def api_views(patterns=None, prefix=""):
    """(route, view class) of every class-based view the URLs serve."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from api_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None)
            if view_class is not None:
                yield prefix + str(pattern.pattern), view_class


def test_every_endpoint_authenticates_and_checks_access_one_way():
    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "accounts.authentication.BearerTokenAuthentication"
    ]
    endpoints = [
        (route, view)
        for route, view in api_views()
        # The service's own schema and docs are public (SPECTACULAR_SETTINGS).
        if not route.startswith(("api/0/schema/", "api/0/docs/"))
    ]
    assert len(endpoints) >= 10, endpoints
    for route, view in endpoints:
        assert issubclass(view, SentryEndpoint), route
        assert view.authentication_classes == [BearerTokenAuthentication], route
        assert view.permission_classes, route
        for permission in view.permission_classes:
            assert issubclass(permission, ScopedPermission), (route, permission)
            # The apps declare scope maps and access_for; the checks themselves are one.
            overriding = [
                cls.__qualname__
                for cls in permission.__mro__
                if cls is not ScopedPermission
                and {"has_permission", "has_object_permission"} & set(vars(cls))
                and issubclass(cls, ScopedPermission)
            ]
            assert overriding == [], route


def view_modules():
    for package in ("accounts", "issues", "releases"):
        for path, tree in modules(package):
            if path.name.endswith("apis.py") or path.name == "views.py":
                yield path, tree


def test_views_decide_no_access_and_catch_no_does_not_exist():
    found = list(view_modules())
    assert {path.name for path, _ in found} >= {"apis.py"}, found
    offenders = []
    for path, tree in found:
        where = path.relative_to(REPOSITORY)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", None))
                if name in ACCESS_SELECTORS | {"permission_denied"}:
                    offenders.append(f"{where}:{node.lineno} calls {name}")
            elif isinstance(node, ast.Name | ast.Attribute):
                name = node.attr if isinstance(node, ast.Attribute) else node.id
                if name in {"PermissionDenied", "has_object_permission"}:
                    offenders.append(f"{where}:{node.lineno} names {name}")
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = ast.unparse(node.type)
                if "DoesNotExist" in caught:
                    offenders.append(f"{where}:{node.lineno} catches {caught}")
    assert offenders == []


def test_has_object_permission_is_written_once():
    defined = [
        f"{path.relative_to(REPOSITORY)}:{node.lineno}"
        for package in ("issues_api", "accounts", "issues", "releases")
        for path, tree in modules(package)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "has_object_permission"
    ]
    assert len(defined) == 1, defined
    assert defined[0].startswith(PERMISSIONS_MODULE), defined
