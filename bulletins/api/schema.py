"""Schema post-processing: every operation documents the errors it can answer with.

The error body is the same everywhere (``exceptions.ErrorSerializer``), so rather than
repeating ``extend_schema(responses=…)`` on each view, this hook adds the statuses each
kind of operation can return, keeping the schema complete for clients and schemathesis.
"""

ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "field_errors"],
    "properties": {
        "code": {"type": "string", "description": "invalid, forbidden, conflict, not_found, …"},
        "message": {"type": "string"},
        "field_errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Messages per input field; non_field_errors for the whole request.",
        },
        "current_version": {
            "type": "integer",
            "description": "On 409 conflict: the version the row has now.",
        },
    },
}

DESCRIPTIONS = {
    "304": "Not modified (If-None-Match / If-Modified-Since matched).",
    "400": "Invalid input.",
    "401": "Not signed in, or a bad token.",
    "403": "Your role may not do this (or four eyes).",
    "404": "Not found, or not visible to you.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Conflict: a stale version, or the current status does not allow this.",
    "410": "Gone: the issue was retracted; the message is its retraction notice.",
    "415": "Unsupported media type.",
    "429": "Too many requests; see Retry-After.",
}
READ_ERRORS = ("400", "401", "404", "405", "406", "410", "429")
WRITE_ERRORS = ("400", "401", "403", "404", "405", "406", "409", "415", "429")


def _error_response(code: str) -> dict:
    response = {
        "description": DESCRIPTIONS[code],
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if code == "429":
        response["headers"] = {
            "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
        }
    return response


def document_errors(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            codes = READ_ERRORS if method == "get" else WRITE_ERRORS
            for code in codes:
                responses.setdefault(code, _error_response(code))
            if method == "get":
                responses.setdefault("304", {"description": DESCRIPTIONS["304"]})
    return result
