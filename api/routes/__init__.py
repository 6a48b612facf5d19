"""One APIRouter per resource, included by api.main."""
