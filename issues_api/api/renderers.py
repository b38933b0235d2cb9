"""JSON responses: DRF's JSONRenderer's bytes, encoded by orjson.

Rendering was a tenth of the CPU of a large issue document (issue 10). orjson gives the same
bytes as DRF's compact, UTF-8 JSONRenderer for everything the documents hold; what it does
not encode the same way goes to DRF's encoder (datetimes, decimals, lazy strings...) or, for
anything orjson refuses (an integer beyond 64 bits), to DRF's renderer itself.
"""

import orjson
from rest_framework.renderers import JSONRenderer

OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=self.encoder_class().default, option=OPTIONS)
        except TypeError:
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF does: U+2028 and U+2029 escaped, so that the JSON is also JavaScript.
        if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return body
