"""OpenAPI details drf-spectacular cannot infer: the API key scheme, names for the enums
that two fields share, and strict request bodies (unknown keys are refused, so the schema
says so)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from profiledesk.policies.categories import Category
from profiledesk.tickets.models import Channel

# The channels a client system may name when it submits (ENUM_NAME_OVERRIDES).
REQUEST_CHANNELS = [(c.value, c.label) for c in (Channel.API, Channel.APP, Channel.WEB)]
# Every category (a status, an event); a request names any but avatar (its own enum).
CATEGORIES = Category.choices
STRICT_COMPONENTS = ("ChangeRequestCreate", "Changes")


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "profiledesk.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "pdk_<prefix>_<secret>",
            "description": "A client API key, made with `manage.py create_api_key`.",
        }


def strict_request_bodies(result, generator, request, public):
    """drf-spectacular postprocessing hook: `additionalProperties: false` where the API
    refuses unknown keys."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in STRICT_COMPONENTS:
        if name in schemas:
            schemas[name]["additionalProperties"] = False
    return result
