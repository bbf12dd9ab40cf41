"""The store interface and its embedded Oxigraph implementation.

Every part of sanctiongraph talks to a :class:`GraphStore`; the embedded default is
:class:`OxigraphStore`. A store holds named graphs (see ``docs/architecture.md``) and
answers SPARQL over their union.
"""

from __future__ import annotations

from sanctiongraph.store.base import GraphStore, StoreError, open_store
from sanctiongraph.store.oxigraph import OxigraphStore

__all__ = ["GraphStore", "OxigraphStore", "StoreError", "open_store"]
