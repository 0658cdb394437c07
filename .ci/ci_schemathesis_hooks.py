"""Schemathesis hooks for .ci/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

The answer upload takes JSON lines, a media type schemathesis cannot encode by
itself: the schema describes the body as an array of line objects, and this
serializer writes one JSON document per line.
"""

import json

import schemathesis


@schemathesis.serializer("application/x-ndjson", "application/jsonl")
def ndjson(ctx, value):
    # A serializer returns the body's bytes.
    if isinstance(value, bytes):
        return value
    if isinstance(value, list):
        lines = [json.dumps(item) for item in value]
        return "\n".join(lines).encode("utf-8", "surrogatepass")
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()
