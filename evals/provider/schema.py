"""OpenAPI description of the API key authentication (loaded by evals.provider.api)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "datafi.accounts.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An organisation's API key, created on /provider/: dfk_<prefix>_<secret>"
            ),
        }


# Request bodies of the provider API whose unknown fields the server refuses
# (evals.provider.api._body). A JSON body may hold no NUL character anywhere
# (the input layer refuses it), so the schema says so for their strings too.
STRICT_BODIES = (
    "ModelListInputRequest",
    "PatchedModelDetailInputRequest",
    "LiveModelInputRequest",
    "EndpointKeyInputRequest",
    "TestingModelInputRequest",
    "ModelReleaseInputRequest",
)
NO_NUL = {"not": {"pattern": "\u0000"}}


def postprocess_strict_bodies(result, generator, request, public):
    """drf-spectacular hook: state what the server refuses in request bodies."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in STRICT_BODIES:
        component = schemas.get(name)
        if component is None:
            continue
        component["additionalProperties"] = False
        for prop in component.get("properties", {}).values():
            if prop.get("type") == "string":
                prop.update(NO_NUL)
    # The input layer (datafi.input) refuses a NUL in any query string, path or
    # request body with a 400: every string a client sends says so.
    for name, component in schemas.items():
        if name.endswith("Request"):
            _no_nul_in_strings(component)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                _no_nul_in_strings(parameter.get("schema", {}))
    # drf-spectacular leaves a hand-written request schema optional; an upload
    # without a body is refused (empty_upload).
    upload = result.get("paths", {}).get("/api/v1/answers", {}).get("post", {})
    if "requestBody" in upload:
        upload["requestBody"]["required"] = True
    return result


def _no_nul_in_strings(schema) -> None:
    """Add NO_NUL to every string schema inside ``schema`` (in place)."""
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and "enum" not in schema:
        schema.update(NO_NUL)
    for key in ("properties",):
        for sub in schema.get(key, {}).values():
            _no_nul_in_strings(sub)
    for key in ("items", "additionalProperties"):
        _no_nul_in_strings(schema.get(key))
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            _no_nul_in_strings(sub)
