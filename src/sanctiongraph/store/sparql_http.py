"""A store behind SPARQL 1.1 Query, Update and (optionally) Graph Store endpoints.

This is the scale-out path: Oxigraph server, Virtuoso, GraphDB, Neptune and others
speak these protocols. Queries go out as URL-encoded POSTs (Virtuoso hangs on direct
POST) and results come back as SPARQL XML (Virtuoso's JSON and TSV are not standard).
Bound variables are passed as a ``VALUES`` block at the start of the query's outer
group, never formatted into patterns.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any

import pyoxigraph as ox

from sanctiongraph.queries import ask_as_select, query_form, with_values
from sanctiongraph.store.base import GraphStore, StoreError
from sanctiongraph.terms import ntriples

__all__ = ["BATCH", "SparqlHttpStore", "query_form", "with_values"]

BATCH = 20_000


class SparqlHttpStore(GraphStore):
    """A :class:`~sanctiongraph.store.base.GraphStore` over HTTP.

    ``url`` is the query endpoint. Oxigraph server's layout (``/query``, ``/update``,
    ``/store``) is recognised; otherwise the query URL also takes updates (Virtuoso,
    ``/sparql``) and graphs are replaced with SPARQL Update.
    """

    def __init__(self, url: str, timeout: float = 300.0) -> None:
        self.query_url = url
        self.timeout = timeout
        base = url[: -len("/query")] if url.endswith("/query") else None
        self.update_url = f"{base}/update" if base else url
        self.graph_store_url = f"{base}/store" if base else None
        self.union_parameter = {"union-default-graph": ""} if base else {}

    # -- HTTP ------------------------------------------------------------------
    def _post(
        self,
        url: str,
        data: bytes,
        content_type: str,
        accept: str | None = None,
        method: str = "POST",
    ) -> bytes:
        request = urllib.request.Request(
            url, data=data, method=method, headers={"Content-Type": content_type}
        )
        if accept:
            request.add_header("Accept", accept)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:500]
            if exc.code == 400:
                raise SyntaxError(f"the SPARQL server refused the request: {detail}") from None
            raise StoreError(f"SPARQL server at {url} answered {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise StoreError(f"cannot reach the SPARQL server at {url}: {exc}") from None

    def _form(self, **fields: str) -> bytes:
        return urllib.parse.urlencode(fields).encode()

    # -- GraphStore ------------------------------------------------------------
    def query(self, sparql: str, substitutions: Mapping[str, Any] | None = None) -> Any:
        form = query_form(sparql)
        if form == "ASK" and substitutions:
            # Virtuoso 7 answers true to an ASK whose pattern starts with VALUES, whatever
            # the data; a SELECT of at most one row answers the same question everywhere.
            return any(True for _ in self.query(ask_as_select(sparql), substitutions))
        body = self._form(query=with_values(sparql, substitutions), **self.union_parameter)
        if form in ("SELECT", "ASK"):
            data = self._post(
                self.query_url,
                body,
                "application/x-www-form-urlencoded",
                "application/sparql-results+xml",
            )
            return ox.parse_query_results(data, ox.QueryResultsFormat.XML)
        data = self._post(
            self.query_url, body, "application/x-www-form-urlencoded", "application/n-triples"
        )
        # Triples, as OxigraphStore gives (pyoxigraph parses into quads).
        return [quad.triple for quad in ox.parse(data, ox.RdfFormat.N_TRIPLES)]

    def update(self, sparql: str) -> None:
        self._post(self.update_url, self._form(update=sparql), "application/x-www-form-urlencoded")

    def _insert(self, graph: ox.NamedNode, triples: list[ox.Triple]) -> None:
        """INSERT in batches; triples with blank nodes go in one ``INSERT ... WHERE {}``
        (a blank node must not be split across requests, and Virtuoso refuses blank
        nodes in ``INSERT DATA``)."""

        def has_blank(t: ox.Triple) -> bool:
            return isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)

        blank = [t for t in triples if has_blank(t)]
        plain = [t for t in triples if not has_blank(t)]
        for start in range(0, len(plain), BATCH):
            chunk = "\n".join(
                f"{t.subject} {t.predicate} {t.object} ." for t in plain[start : start + BATCH]
            )
            self.update(f"INSERT DATA {{ GRAPH {graph} {{\n{chunk}\n}} }}")
        if blank:
            chunk = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in blank)
            self.update(f"INSERT {{ GRAPH {graph} {{\n{chunk}\n}} }} WHERE {{}}")

    def replace_graph_ntriples(
        self, graph: ox.NamedNode, data: bytes, *, bulk: bool = False
    ) -> None:
        # One PUT or MOVE is atomic already; bulk changes nothing.
        if self.graph_store_url:
            url = f"{self.graph_store_url}?{urllib.parse.urlencode({'graph': graph.value})}"
            self._post(url, data, "application/n-triples", method="PUT")
            return
        staging = ox.NamedNode(graph.value + "#staging")
        self.update(f"DROP SILENT GRAPH {staging}")
        self._insert(staging, [quad.triple for quad in ox.parse(data, ox.RdfFormat.N_TRIPLES)])
        self.update(f"DROP SILENT GRAPH {graph} ; MOVE SILENT GRAPH {staging} TO GRAPH {graph}")

    def add_triples(self, graph: ox.NamedNode, triples: Iterable[ox.Triple]) -> int:
        triples = list(triples)
        if self.graph_store_url and triples:
            data = ntriples(triples)
            url = f"{self.graph_store_url}?{urllib.parse.urlencode({'graph': graph.value})}"
            self._post(url, data, "application/n-triples")
        elif triples:
            self._insert(graph, triples)
        return len(triples)

    def add_constructed(self, graph: ox.NamedNode, construct: str) -> None:
        self.add_triples(graph, self.query(construct))

    def drop_graph(self, graph: ox.NamedNode) -> None:
        self.update(f"DROP SILENT GRAPH {graph}")

    def graphs(self) -> list[ox.NamedNode]:
        solutions = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(
            (s["g"] for s in solutions if isinstance(s["g"], ox.NamedNode)), key=lambda g: g.value
        )

    def triples(self, graph: ox.NamedNode | None = None) -> Iterable[ox.Triple]:
        scope = str(graph) if graph is not None else "?g"
        found: list[ox.Triple] = self.query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {scope} {{ ?s ?p ?o }} }}"
        )
        return found

    def count(self, graph: ox.NamedNode | None = None) -> int:
        scope = str(graph) if graph is not None else "?g"
        solutions = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {scope} {{ ?s ?p ?o }} }}")
        return int(next(iter(solutions))["n"].value)

    def close(self) -> None:
        """Nothing to release: every request is its own connection."""
