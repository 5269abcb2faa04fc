"""The kb web site: search pages, article pages and a JSON API."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:  # imported by create_app: `kb search` uses the presenter without Flask
    from flask import Flask

# Example searches of the home page: by default (None) the topics most
# articles of the knowledge base share (webapp/examples.py); a list in the
# config overrides them.
EXAMPLE_QUERIES = None


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The site: pages at /, the JSON API under /api.

    Configuration: KB_DIR (article folder; default the bundled articles),
    INDEX_DIR (default ``<instance>/index``), EXAMPLE_QUERIES (default:
    derived from the knowledge base), QUERY_LOG (default True) and
    QUERY_LOG_DIR (default beside INDEX_DIR). Nothing is opened here: the
    index and the articles load on first use.
    """
    from flask import Flask

    from kb.config import default_index_dir, instance_dir
    from kb.store import default_kb_dir

    app = Flask(__name__, instance_path=str(instance_dir()))
    app.config.from_mapping(
        KB_DIR=str(default_kb_dir()),
        INDEX_DIR=str(default_index_dir()),
        EXAMPLE_QUERIES=EXAMPLE_QUERIES,
    )
    if test_config is not None:
        app.config.from_mapping(test_config)

    from webapp import api, articles, errors, querylog, search, security, views
    search.init_app(app)
    querylog.init_app(app)
    articles.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    return app
