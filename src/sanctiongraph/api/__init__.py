"""The HTTP API: ``create_app(Settings(...))`` builds a FastAPI app.

A thin layer over the library: routers translate HTTP into library calls, pydantic
models exist only at this edge, and all configuration is one frozen :class:`Settings`.
"""

from sanctiongraph.api.app import create_app
from sanctiongraph.api.settings import Settings

__all__ = ["Settings", "create_app"]
