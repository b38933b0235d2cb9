"""Event payloads record_event refuses: the ingest tests check that it does, and the tests of
the reads that a stored payload it would refuse today is still shown."""

# Interfaces of the wrong shape, by what is wrong with them.
MALFORMED_INTERFACES = {
    "contexts-list": {"contexts": ["browser"]},
    "tags-int": {"tags": 5},
    "fingerprint-int": {"fingerprint": 5},
    "logentry-str": {"message": "", "logentry": "hello"},
    "exception-int": {"exception": 5},
    "frame-str": {"exception": {"values": [{"type": "E", "stacktrace": {"frames": ["x"]}}]}},
    "mechanism-str": {"exception": {"values": [{"type": "E", "mechanism": "generic"}]}},
}
BAD_EVENT_IDS = ["not-hex", "abc", "g" * 32, "0" * 31, "0" * 33, 12345, "a" * 32 + "0"]
# Times that are not ISO 8601, and numbers no datetime holds.
BAD_TIMESTAMPS = ["yesterday", "2024-13-45T00:00:00", "", {"at": 1}]
OUT_OF_RANGE_TIMESTAMPS = [1e20, float("inf"), -1e20, float("nan")]
