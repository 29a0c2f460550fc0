"""The API's JSON renderer (its own module: the REST framework's settings import it)."""

from decimal import Decimal

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder as RestJSONEncoder


class JSONEncoder(RestJSONEncoder):
    """REST framework's encoder, asked about a Decimal first: a company's scorecard holds
    some 37,000 of them, each tried against five other types before. The output is the
    same (a Decimal is written as its float)."""

    def default(self, obj):
        if type(obj) is Decimal:
            return float(obj)
        return super().default(obj)


_ENCODER = JSONEncoder()
# Keys that are not strings written as json.dumps writes them (5 → "5"); dates and times
# handed to the REST framework's encoder, which writes UTC as "Z", as the API always has.
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
_LINE_SEPARATORS = (("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def _default(obj):
    if type(obj) is Decimal:
        if not obj.is_finite():  # refused, as the REST framework's strict JSON does
            raise ValueError(f"Out of range value for JSON: {obj}")
        return float(obj)
    return _ENCODER.default(obj)


class JSONRenderer(renderers.JSONRenderer):
    """The same bytes as the REST framework's compact, UTF-8 JSON, written by orjson
    (a company scorecard is 2.5 MB of JSON: json.dumps spent about 100 ms on it, a fifth
    of the request). What orjson cannot write (an integer beyond 64 bits, a Decimal that
    is not finite) and indented output (the browsable API, ``; indent=N``) go the REST
    framework's way, which writes or refuses them as before. Two differences, both about
    floats, which the API's numbers are only once written (they are Decimals): one below
    0.0001 is spelled out (0.00001, not 1e-05; the same number), and a float NaN or
    infinity would be written as null instead of refused."""

    encoder_class = JSONEncoder

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if indent is not None or not self.compact or self.ensure_ascii:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80" in out:  # the lead bytes of U+2028 and U+2029: escape them
            for raw, escaped in _LINE_SEPARATORS:
                out = out.replace(raw, escaped)
        return out
