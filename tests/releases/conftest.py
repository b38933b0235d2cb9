"""The release tests' client: the token a CI pipeline has."""

import pytest

from tests.helpers import client_for
from tests.releases.helpers import RELEASE_SCOPES


@pytest.fixture
def ci(user):
    """A client with the token a CI pipeline has: project:releases (and org:read)."""
    return client_for(user, RELEASE_SCOPES)
