"""The search area: one search over topic titles and posts (forum.search.services)."""
from flask import Blueprint

bp = Blueprint("search", __name__, url_prefix="/search")


def init_app(app) -> None:  # noqa: ANN001 - the Flask app
    from forum.search import schema

    schema.install()


from forum.search import views  # noqa: E402,F401
