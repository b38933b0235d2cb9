"""releases.versions.compare_versions orders versions as relay's compare_version does (what
Sentry's GroupResolution.has_resolution compares with); the expected signs were checked
against sentry-relay's compare_version."""

import pytest

from releases.versions import compare_versions, is_package_release


@pytest.mark.parametrize(
    ("version", "other", "expected"),
    [
        ("package@2.0+0", "package@1.0+0", 1),
        ("package@2.0+0", "package@2.0+0", 0),
        ("package@2.0+0", "package@1.0+1", 1),
        ("package@2.0+0", "package@1.1+0", 1),
        ("package@2.0+0", "package@3.0+0", -1),
        # Build codes count: none is lowest, numbers compare as numbers...
        ("package@2.0+0", "package@2.0+1", -1),
        ("package@2.0", "package@2.0+0", -1),
        ("package@2.0+10", "package@2.0+9", 1),
        ("package@2.0+09", "package@2.0+9", 0),
        # ...anything else as plain strings.
        ("package@2.0+10", "package@2.0+9a", -1),
        ("package@2.0+B", "package@2.0+a", -1),
        ("package@2.0+1.2.3", "package@2.0+1.10", 1),
        ("package@2.0+18446744073709551616", "package@2.0+9", -1),
        # A release beats its pre-releases, which compare as plain strings.
        ("package@2.0-rc1", "package@2.0", -1),
        ("package@2.0-rc.2", "package@2.0-rc.10", 1),
        ("package@2.0-rc1+5", "package@2.0+1", -1),
        # Missing components are zeros; the fourth one counts.
        ("package@1.0", "package@1.0.0.0", 0),
        ("package@1.2.3.4", "package@1.2.3.5", -1),
        ("package@10.0", "package@9.9.9", 1),
        # Packages are not compared.
        ("other@1.0", "package@2.0", -1),
    ],
)
def test_compare_versions_orders_like_relay(version, other, expected):
    assert compare_versions(version, other) == expected
    assert compare_versions(other, version) == -expected


@pytest.mark.parametrize("version", ["package@nightly", "a86d127c4b2f", "package@1.0 beta"])
def test_compare_versions_of_a_version_that_is_not_semver_is_none(version):
    assert compare_versions(version, "package@1.0") is None
    assert compare_versions("package@1.0", version) is None


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("package@1.0.0", True),
        ("@scope/package@1.0.0", True),
        ("1.0.0", False),
        ("@1.0.0", False),
        ("package@", False),
    ],
)
def test_a_package_release_names_its_package(version, expected):
    assert is_package_release(version) is expected
