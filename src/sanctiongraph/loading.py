"""Put the bundled ontology and reference data, and users' sources, into a store."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from sanctiongraph.derive import (
    derived_is_complete,
    ensure_derived,
    invalidate_derived,
    mark_derived_complete,
)
from sanctiongraph.ingest import (
    IngestError,
    InputError,
    Source,
    is_package,
    ontology_triples,
    package_chunks,
    read_source,
    source_names,
    turtle_triples,
)
from sanctiongraph.ingest.source import EntryReference, source_graph
from sanctiongraph.namespaces import GRAPH, ID, REF, SG
from sanctiongraph.resources import reference_dir, shapes_dir
from sanctiongraph.store import GraphStore

ONTOLOGY_GRAPH = ox.NamedNode(str(GRAPH.ontology))
REFERENCE_GRAPH = ox.NamedNode(str(GRAPH.reference))
SHAPES_GRAPH = ox.NamedNode(str(GRAPH.shapes))
"""The bundled SHACL shapes, in a store that is read (``load``, ``serve``): "which shapes
cite this paragraph" is then one query. Validation reads its shapes from the files."""


@lru_cache(maxsize=1)
def reference_triples() -> tuple[ox.Triple, ...]:
    return turtle_triples(reference_dir())


@lru_cache(maxsize=1)
def shapes_triples() -> tuple[ox.Triple, ...]:
    return turtle_triples(shapes_dir())


def load_shapes(store: GraphStore) -> None:
    """(Re)load the bundled shapes into ``graph/shapes`` (the derivers do not read it)."""
    store.replace_graph(SHAPES_GRAPH, shapes_triples())


def load_bundled(store: GraphStore) -> None:
    """(Re)load the ontology and the reference data into their graphs."""
    invalidate_derived(store)
    store.replace_graph(ONTOLOGY_GRAPH, ontology_triples())
    store.replace_graph(REFERENCE_GRAPH, reference_triples())


def has_bundled(store: GraphStore) -> bool:
    graphs = store.graphs()
    return ONTOLOGY_GRAPH in graphs and REFERENCE_GRAPH in graphs


def make_ready(store: GraphStore, as_of: date | None = None) -> date | None:
    """Ready an opened store for reading: the bundled graphs loaded if missing, and the
    derived graph computed again if a load or a derivation was interrupted
    (:func:`~sanctiongraph.derive.ensure_derived`); the shapes loaded if missing. Return the date it was computed
    for then, else ``None``."""
    if not has_bundled(store):
        load_bundled(store)
    if SHAPES_GRAPH not in store.graphs():
        load_shapes(store)
    return ensure_derived(store, as_of)


def load_sources(
    store: GraphStore,
    sources: Iterable[Source],
    progress: Callable[[str, int], None] | None = None,
    *,
    bulk: bool = False,
) -> dict[str, int]:
    """Replace each source's graph with its N-Triples; return the triple count per
    graph (``Source.size``). ``bulk`` trades the one-transaction replacement for the
    store's faster bulk loader (see
    :meth:`~sanctiongraph.store.base.GraphStore.replace_graph_ntriples`). ``progress``
    is called with each graph and its count once it is loaded."""
    counts = {}
    sources = list(sources)
    if sources:
        invalidate_derived(store)
    for source in sources:
        store.replace_graph_ntriples(source.graph, source.ntriples, bulk=bulk)
        counts[source.graph.value] = source.size
        if progress:
            progress(source.graph.value, source.size)
    return counts


def _states(source: Source, subject: bytes) -> bool:
    return source.ntriples.startswith(subject) or b"\n" + subject in source.ntriples


def unknown_entries(
    store: GraphStore | None,
    named: Iterable[tuple[int, EntryReference]],
    read: Iterable[Source] = (),
) -> dict[int, list[InputError]]:
    """Per source index, an error for each list entry that an entities.csv names in
    same_as (``named``: the index of the source that names it, and where) and that
    neither a source of ``read`` nor the store holds
    (docs/data-package.md#linking-your-entities-to-list-entries). A not_same_as naming
    an entry no source holds is no error: dismissing an absent entry changes nothing."""
    named = [(i, ref) for i, ref in named if ref.column != "not_same_as"]
    missing = {ref.value for _, ref in named}
    for source in read:  # as the subject of a triple: at the start of a line
        missing = {v for v in missing if not _states(source, f"<{ID}entity/{v}> ".encode())}
    if missing and store is not None:
        values = " ".join(f"<{ID}entity/{v}>" for v in sorted(missing))
        found = store.query(f"SELECT DISTINCT ?e WHERE {{ VALUES ?e {{ {values} }} ?e ?p ?o }}")
        missing -= {row["e"].value[len(f"{ID}entity/") :] for row in found}
    problems: dict[int, list[InputError]] = {}
    for i, ref in named:
        if ref.value in missing:
            problems.setdefault(i, []).append(
                InputError(
                    "entities.csv",
                    f"{ref.value!r} is not a list entry of any source given with "
                    "this package nor of the store (import the list and give its package too)",
                    ref.row,
                    ref.column,
                )
            )
    return problems


_PUBLICATION_OF = re.compile(
    rb"^(<[^>]*>) <"
    + re.escape(str(SG.publicationOf).encode())
    + rb"> <"
    + re.escape(str(REF).encode())
    + rb"list/([^>]*)> \.$",
    re.MULTILINE,
)
_DESIGNATION_FROM = re.compile(
    rb"^<"
    + re.escape(str(ID).encode())
    + rb"designation/[^>]*> <"
    + re.escape(str(SG.fromPublication).encode())
    + rb"> (<[^>]*>) \.$",
    re.MULTILINE,
)


def split_histories(
    store: GraphStore, held: Iterable[Source], replaced: set[str]
) -> list[InputError]:
    """An error for each list whose publications that designate entries would be in
    more than one source graph: the sources of this call (``held``, read but not yet
    written) and what the store holds already, but for the graphs in ``replaced``,
    which this call rewrites. (A register's files, GLEIF or BODS, designate nobody.)

    Publications of one list make a history only when imported together
    (docs/data-package.md, "Histories and *possibly listed*"); two packages each with
    its own history would each say "after the last publication the last status holds",
    so an entry delisted in the newer would stay listed through the older, and a finding
    resting on both would be reported twice."""
    graphs: dict[str, set[str]] = defaultdict(set)
    for row in store.query(
        f"""SELECT DISTINCT ?g ?list WHERE {{ GRAPH ?g {{
              ?d <{SG.designates}> ?e ; <{SG.fromPublication}> ?p .
              ?p <{SG.publicationOf}> ?list }} }}"""
    ):
        graph = row["g"].value
        if graph not in replaced:
            graphs[row["list"].value.rsplit("/", 1)[-1]].add(graph)
    for source in held:
        cited = set(_DESIGNATION_FROM.findall(source.ntriples))
        for publication, code in set(_PUBLICATION_OF.findall(source.ntriples)):
            if publication in cited:
                graphs[code.decode()].add(source.graph.value)
    prefix = str(GRAPH) + "source/"
    errors = []
    for code, names in sorted(graphs.items()):
        if len(names) < 2:
            continue
        shown = ", ".join(sorted(n.removeprefix(prefix) for n in names))
        errors.append(
            InputError(
                shown,
                f"publications of the {code} list are in {len(names)} sources: "
                "separately imported publications make no history (an entry delisted in "
                "the newer would stay listed through the older). Import the list's files "
                "together (`sanctiongraph import FORMAT FILE... --output DIR`) and give "
                "that one package",
            )
        )
    return errors


def read_and_load(
    store: GraphStore,
    paths: list[Path],
    name: str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Check sources and load each into its own graph (what ``sanctiongraph load``
    does); return the triple count per graph, in the order of ``paths``.

    All or nothing: when any source has a problem, the store is left as it was and
    :class:`IngestError` lists every problem of every source, in the order of
    ``paths``. A CSV data package whose graph is not in the store yet is loaded while
    it is being mapped (:meth:`~sanctiongraph.store.base.GraphStore.load_new_graph`:
    the store's loader works beside the mapper); a package that turns out to have a
    problem is abandoned, and graphs made earlier in the call are dropped (also when
    something else fails). Every other source is read and checked whole first, and
    replaces its graph (drop, then bulk load) only once every source has passed. If
    writing one of those fails all the same (a store error, not bad input), the graphs
    this call made are dropped; graphs it already replaced keep their new content.

    The derived graph is marked stale (:func:`~sanctiongraph.derive.invalidate_derived`)
    before the first write, and marked complete again when the call ends having changed
    nothing; the caller derives again after a load that changed the store.
    """
    names, duplicates = source_names(paths, name)
    existing = set(store.graphs())
    streamed = {
        i
        for i, path in enumerate(paths)
        if path.exists() and is_package(path) and source_graph(names[i]) not in existing
    }
    held: list[Source] = []
    read: dict[int, Source] = {}  # held, and streamed packages only checked
    named: list[tuple[int, EntryReference]] = []  # same_as / not_same_as of every package
    problems: dict[int, list[InputError]] = {}
    for i, path in enumerate(paths):
        if i not in streamed:
            try:
                read[i] = read_source(path, names[i])
                held.append(read[i])
            except IngestError as exc:
                problems[i] = exc.errors
                named += [(i, r) for r in exc.references]
    counts: dict[str, int] = {}
    created: list[ox.NamedNode] = []
    was_complete = derived_is_complete(store)
    replacing = False
    if not (problems or duplicates):
        invalidate_derived(store)
    try:
        for i in sorted(streamed):
            graph = source_graph(names[i])
            try:
                if problems or duplicates:  # nothing will be loaded: only check it
                    read[i] = read_source(paths[i], names[i])
                    continue
                references: list[EntryReference] = []
                try:
                    counts[graph.value] = store.load_new_graph(
                        graph, package_chunks(paths[i], names[i], references)
                    )
                finally:
                    named += [(i, r) for r in references]
            except IngestError as exc:
                problems[i] = exc.errors
                named += [(i, r) for r in exc.references]
                continue
            created.append(graph)
            if progress:
                progress(graph.value, counts[graph.value])
        # Entries named by same_as: in a source of this call (the streamed ones are in
        # the store by now) or in the store, else nothing is kept.
        named += [(i, r) for i, source in read.items() for r in source.references]
        for i, errors in unknown_entries(store, named, read.values()).items():
            problems.setdefault(i, []).extend(errors)
        if not (problems or duplicates):
            split = split_histories(store, held, {s.graph.value for s in held})
            duplicates += split
        if problems or duplicates:
            raise IngestError([e for i in sorted(problems) for e in problems[i]] + duplicates)
        replacing = True
        counts.update(load_sources(store, held, progress, bulk=True))
    except BaseException:
        for graph in created:
            store.drop_graph(graph)
        if was_complete and not replacing:
            mark_derived_complete(store)
        raise
    return {source_graph(n).value: counts[source_graph(n).value] for n in names}
