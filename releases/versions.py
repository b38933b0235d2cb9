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
