"""Sentry's versionInfo: package, semantic version, build hash and a short description."""

import re

BUILD_HASH = re.compile(r"^(?:[0-9a-fA-F]{12,40}|[0-9a-fA-F]{64})$")
SEMVER = re.compile(
    r"^v?(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*))?(?:\.(?P<patch>0|[1-9]\d*))?"
    r"(?:\.(?P<revision>0|[1-9]\d*))?"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+(?P<build>[0-9A-Za-z.-]+))?$"
)


def parse_semver(raw: str) -> dict | None:
    match = SEMVER.match(raw)
    if not match:
        return None
    parts = match.groupdict()
    components = sum(1 for name in ("major", "minor", "patch", "revision") if parts[name])
    return {
        "raw": raw,
        "major": int(parts["major"]),
        "minor": int(parts["minor"] or 0),
        "patch": int(parts["patch"] or 0),
        "revision": int(parts["revision"] or 0),
        "pre": parts["pre"],
        "buildCode": parts["build"],
        "components": components,
    }


def version_info(version: str) -> dict:
    package, separator, raw = version.partition("@")
    if not separator:
        package, raw = None, version
    semver = parse_semver(raw)
    build_hash = raw if semver is None and BUILD_HASH.match(raw) else None
    if semver is not None:
        description = f"{semver['major']}.{semver['minor']}.{semver['patch']}"
        if semver["pre"]:
            description += f"-{semver['pre']}"
        if semver["buildCode"]:
            description += f" ({semver['buildCode']})"
        version_part = semver
    else:
        description = build_hash[:12] if build_hash else raw
        version_part = {"raw": raw}
    return {
        "buildHash": build_hash,
        "description": description,
        "package": package,
        "version": version_part,
    }


# A release names a package when it reads "package@version" (relay's release regex: the package
# may start with "@", as npm's scoped packages do, but holds no other "@").
PACKAGE_RELEASE = re.compile(r"^(@?[^@]+)@(.+?)$")
# Build codes compare as numbers when both are (relay's build_number is a u64).
MAX_BUILD_NUMBER = 2**64 - 1


def is_package_release(version: str) -> bool:
    """Sentry only takes a release for semver when it names a package ("package@1.2.3")."""
    return PACKAGE_RELEASE.match(version) is not None


def _build_number(build: str) -> int | None:
    if build.isascii() and build.isdigit() and int(build) <= MAX_BUILD_NUMBER:
        return int(build)
    return None


def _sort_key(semver: dict) -> tuple:
    return (semver["major"], semver["minor"], semver["patch"], semver["revision"])


def compare_versions(version: str, other: str) -> int | None:
    """1, 0 or -1 as `version` is greater than, equal to or less than `other` by semver, the way
    relay's compare_version orders them (what Sentry's GroupResolution.has_resolution uses):
    the four numbers first; then a version without pre-release beats one with, and two
    pre-releases compare as plain strings; then the build code: none is lowest, two numbers
    compare as numbers and anything else as plain strings. Packages are not compared.
    None when either is not a semantic version."""
    parsed = []
    for value in (version, other):
        match = PACKAGE_RELEASE.match(value)
        semver = parse_semver(match.group(2) if match else value)
        if semver is None:
            return None
        parsed.append(semver)
    left, right = parsed

    if _sort_key(left) != _sort_key(right):
        return 1 if _sort_key(left) > _sort_key(right) else -1

    left_pre, right_pre = left["pre"] or "", right["pre"] or ""
    if left_pre != right_pre:
        if not left_pre or not right_pre:
            return 1 if not left_pre else -1
        return 1 if left_pre > right_pre else -1

    left_build, right_build = left["buildCode"] or "", right["buildCode"] or ""
    left_number, right_number = _build_number(left_build), _build_number(right_build)
    if left_number is not None and right_number is not None:
        left_build, right_build = left_number, right_number
    if left_build == right_build:
        return 0
    return 1 if left_build > right_build else -1
