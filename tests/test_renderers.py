"""The JSON renderer gives DRF's JSONRenderer's bytes, whatever it encodes them with."""

import decimal
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from issues_api.api.renderers import FastJSONRenderer

SAMPLES = {
    "document": {"id": "1", "count": "12", "userCount": 3, "isPublic": False, "x": None},
    "unicode": {"title": 'caf\u00e9 \u2603 \U0001f600 line\u2028sep\u2029 tab\t quote" slash/'},
    "numbers": {"int": 2**63 - 1, "negative": -(2**63), "float": 0.1, "big float": 1e300},
    "keys": {1: "int key", None: "none key", False: "bool key", "s": "str"},
    "values": {
        "datetime": datetime(2020, 3, 22, 15, 24, 0, 564389, tzinfo=UTC),
        "naive": datetime(2020, 3, 22, 15, 24),
        "date": date(2020, 3, 22),
        "delta": timedelta(hours=1),
        "decimal": decimal.Decimal("1.50"),
        "uuid": uuid.UUID("12345678123456781234567812345678"),
        "lazy": gettext_lazy("Invalid token"),
        "tuple": (1, 2, (3,)),
        "bytes": b"abc",
    },
    "huge int": {"n": 2**70},
    "list": [1, "a", [], {}, [{"nested": [None]}]],
}


@pytest.mark.parametrize("name", SAMPLES)
def test_same_bytes_as_drf(name):
    data = SAMPLES[name]
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_indent_asked_by_the_accept_header_is_drf_s():
    data = SAMPLES["document"]
    media_type = "application/json; indent=4"
    rendered = FastJSONRenderer().render(data, media_type, {})
    assert rendered == JSONRenderer().render(data, media_type, {})
    assert b"\n    " in rendered


def test_nothing_renders_as_an_empty_body():
    assert FastJSONRenderer().render(None) == b""


@pytest.mark.django_db
def test_the_issue_document_is_rendered_as_drf_renders_it(api, issue):
    response = api.get(f"/api/0/issues/{issue.pk}/")
    assert response.status_code == 200
    assert response.content == JSONRenderer().render(response.json())
