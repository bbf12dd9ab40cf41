"""The ``sanctiongraph`` command line: a thin layer over the library.

Exit codes: 0 success (``validate``: conforms), 1 ``validate`` found a violation,
2 bad input or usage (nothing loaded), 3 an internal error.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from sanctiongraph.errors import IngestError
from sanctiongraph.imports import FORMATS as IMPORT_FORMATS
from sanctiongraph.imports import import_lists

if TYPE_CHECKING:
    import pyoxigraph as ox

    from sanctiongraph.derive import Deriver
    from sanctiongraph.screening import Match
    from sanctiongraph.store import GraphStore

# The modules of the graph (pyoxigraph, rdflib, the derivers, the store, validation,
# Spark) are imported by the commands that use them, so that ``import`` and ``screen``
# start without them (docs/benchmarks.md "Importing published lists").

EXIT_INPUT = 2
AS_OF = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date that governs every interval (YYYY-MM-DD; default: today).",
)
STORE = click.option(
    "--store",
    "store_location",
    default=None,
    metavar="DIR",
    help="Store directory (default: .sanctiongraph/store under the working directory).",
)


class _ComputeEngines(click.Choice[str]):
    """``--compute``'s choices, read from :mod:`sanctiongraph.spark` only when a command
    that has the option runs."""

    def __init__(self) -> None:
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        from sanctiongraph.spark import COMPUTE_ENGINES

        return COMPUTE_ENGINES


COMPUTE = click.option(
    "--compute",
    type=_ComputeEngines(),
    default="embedded",
    show_default=True,
    help="Where the derivers whose cost grows with the data run: embedded (this process) "
    "or spark (Apache Spark jobs; pip install 'sanctiongraph[spark]', needs Java).",
)
SPARK_MASTER = click.option(
    "--spark-master",
    default=None,
    metavar="URL",
    help="Spark master for --compute spark (local[N], spark://HOST:PORT, yarn, k8s://...; "
    "default: local[*], every core here).",
)


def _derivers(compute: str, spark_master: str | None) -> dict[str, Deriver] | None:
    """The deriver replacements for ``--compute``; exit 2 with one line when Spark
    cannot run here."""
    from sanctiongraph.spark import DEFAULT_MASTER, SparkUnavailable, derivers_for

    try:
        return derivers_for(compute, spark_master or DEFAULT_MASTER)
    except SparkUnavailable as exc:
        _fail(str(exc))


def _as_of(value: datetime | None) -> date:
    return value.date() if value is not None else date.today()


PROGRESS = click.option(
    "--progress/--no-progress",
    default=None,
    help="Print each stage with its counts and time on stderr (default: when stderr is a terminal).",
)


def _stage_printer(progress: bool | None) -> Callable[[str, str, float], None] | None:
    """A progress callback that prints on stderr, or ``None`` when it is off."""
    if progress is False or (progress is None and not sys.stderr.isatty()):
        return None

    def tell(stage: str, detail: str, seconds: float) -> None:
        click.echo(f"{stage}: {detail} ({seconds:.1f} s)", err=True)

    return tell


def _fail(lines: list[str] | str, code: int = EXIT_INPUT) -> NoReturn:
    for line in [lines] if isinstance(lines, str) else lines:
        click.echo(f"error: {line}", err=True)
    sys.exit(code)


def _open(location: str | None) -> GraphStore:
    """The store for a read command, with the bundled graphs, and a derived graph that
    matches its data (computed again, with a warning, after an interrupted load or
    derivation). A store that ``serve`` holds is opened read-only, as the server keeps it."""
    from sanctiongraph.loading import make_ready
    from sanctiongraph.store import open_store

    store = open_store(location, for_reading=True)
    if getattr(store, "read_only", False):
        return store
    day = make_ready(store)
    if day is not None:
        click.echo(
            f"warning: the derived graph was unfinished or older than the data "
            f"(an interrupted load?); computed it again for {day.isoformat()}",
            err=True,
        )
    return store


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sanctiongraph")
def cli() -> None:
    """sanctiongraph: US sanctions rules as a knowledge graph you can run on your data."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@AS_OF
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "turtle", "csv"]),
    default="text",
    show_default=True,
    help="Report format (csv: one finding a row, for spreadsheets).",
)
@click.option(
    "--engine",
    type=click.Choice(["fast", "reference"]),
    default="fast",
    show_default=True,
    help="SHACL engine: fast (whole-graph SPARQL in Oxigraph) or reference (pySHACL).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write the report to (default: standard output).",
)
@COMPUTE
@SPARK_MASTER
@PROGRESS
def validate(
    paths: tuple[Path, ...],
    as_of: datetime | None,
    fmt: str,
    engine: str,
    output: Path | None,
    compute: str,
    spark_master: str | None,
    progress: bool | None,
) -> None:
    """Validate data packages (folders or .zip of CSV) and RDF files, statelessly.

    The report lists the findings and the rules checked (with their citations, how well
    their text is verified, and which had nothing to apply to). Exit 0 when the data
    conform, 1 when a rule is violated, 2 on bad input.
    """
    from sanctiongraph.spark import SparkUnavailable
    from sanctiongraph.validate import validate_paths

    replacements = _derivers(compute, spark_master)
    try:
        report = validate_paths(
            list(paths), _as_of(as_of), engine, _stage_printer(progress), replacements
        )
    except SparkUnavailable as exc:
        _fail(str(exc))
    if report.errors and fmt != "json":  # only the JSON report has a place for them
        _fail([str(e) for e in report.errors] + ["nothing was loaded"])
    text = report.render(fmt)
    if output is not None:
        try:
            output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror}")
    else:
        click.echo(text, nl=not text.endswith("\n"))
    sys.exit(report.exit_code)


@cli.command("import")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(list(IMPORT_FORMATS)))
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="New folder for the data package (must not exist, or be empty).",
)
@click.option(
    "--published",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Publication date of the files (default: an ISO date in each file name, "
    "else the date the file states).",
)
def import_(fmt: str, paths: tuple[Path, ...], output: Path, published: datetime | None) -> None:
    """Import published lists and registers (OFAC, UN, GLEIF, BODS, FtM) into a data package.

    Several publications of one list given together make a history: listings that
    appear or leave between two of them are *possibly* in force in between. Every
    problem of every file is listed, and nothing is written then (exit 2).
    """
    try:
        report = import_lists(
            fmt, list(paths), output, published.date() if published is not None else None
        )
    except IngestError as exc:
        _fail([str(e) for e in exc.errors] + ["nothing was written"])
    for line in report.lines():
        click.echo(line)


@cli.command()
@click.argument("names", type=click.Path(path_type=Path), metavar="NAMES.csv")
@click.argument("more_lists", nargs=-1, type=click.Path(path_type=Path), metavar="")
@click.option(
    "--lists",
    "lists",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    metavar="PATH...",
    help="Imported data package folders or published list files "
    "(several may follow; list files are imported in memory).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=None,
    help="Lowest name score reported, 0 to 1 (default: 0.88; docs/screening.md).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="csv: one match a row, for spreadsheets.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write the results to (default: standard output).",
)
@AS_OF
def screen(
    names: Path,
    more_lists: tuple[Path, ...],
    lists: tuple[Path, ...],
    threshold: float | None,
    fmt: str,
    output: Path | None,
    as_of: datetime | None,
) -> None:
    """Screen a file of names against sanctions lists: possible matches, best first.

    NAMES.csv has columns id,name and optionally country,kind,bic,lei,imo. A name match
    is a possible match to review, never a finding; a BIC, LEI or IMO number matches
    exactly (score 1). Each match says the entry's status on its list on --as-of
    (listed, possibly_listed, delisted, not_yet_listed). Exit 2 on bad input.
    """
    from sanctiongraph.screening import DEFAULT_THRESHOLD, read_lists, read_subjects
    from sanctiongraph.screening import screen as screen_names
    from sanctiongraph.spreadsheet import csv_text

    problems: list[str] = []
    subjects, entries = [], []
    try:
        subjects = read_subjects(names)
    except IngestError as exc:
        problems += [str(e) for e in exc.errors]
    try:
        entries = read_lists([*lists, *more_lists], _as_of(as_of))
    except IngestError as exc:
        problems += [str(e) for e in exc.errors]
    if problems:
        _fail(problems + ["nothing was screened"])
    results = screen_names(
        subjects,
        entries,
        DEFAULT_THRESHOLD if threshold is None else threshold,
        as_of=_as_of(as_of),
    )
    if fmt == "json":
        text = json.dumps(
            {
                "results": [
                    {"id": s.id, "matches": [m.as_dict() for m in found]}
                    for s, found in zip(subjects, results)
                ]
            },
            indent=2,
            ensure_ascii=False,
        )
    else:
        text = csv_text(
            [
                *("id", "name", "list", "entry", "list_name", "matched_name", "score", "by"),
                *("status", "start", "end", "programs"),
            ],
            [
                [
                    *(s.id, s.name, m.list, m.entry, m.name, m.matched_name, f"{m.score:.2f}"),
                    *(m.by, m.status or "", m.start or "", m.end or "", ";".join(m.programs)),
                ]
                if m is not None
                else [s.id, s.name, *[""] * 10]  # screened, no match: the file shows it
                for s, found in zip(subjects, results)
                for m in _or_none(found)
            ],
        )
    if output is not None:
        try:
            output.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror}")
    else:
        click.echo(text)


def _or_none(matches: list[Match]) -> list[Match | None]:
    """``matches``, or ``[None]`` for a name with none (it still gets its row)."""
    return [*matches] or [None]


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@STORE
@click.option(
    "--graph",
    "graph_name",
    default=None,
    help="Graph name for a single source (default: the file or folder name).",
)
@AS_OF
@COMPUTE
@SPARK_MASTER
@PROGRESS
def load(
    paths: tuple[Path, ...],
    store_location: str | None,
    graph_name: str | None,
    as_of: datetime | None,
    compute: str,
    spark_master: str | None,
    progress: bool | None,
) -> None:
    """Load sources into the store; each replaces its own named graph.

    All or nothing: a source with a problem leaves the store as it was, and every
    problem of every source is listed. A CSV package going into a new graph is loaded
    while it is checked (faster for big packages); other sources are checked whole
    before anything is written. A graph is replaced by a drop, then a bulk load, from a
    journal: a load killed part-way leaves each graph old or new, and the next command
    that opens the store finishes it. Then recompute the derived graph
    (classifications, statuses) for --as-of.
    """
    from sanctiongraph.derive import DERIVED, run_derivers
    from sanctiongraph.loading import (
        SHAPES_GRAPH,
        has_bundled,
        load_bundled,
        load_shapes,
        read_and_load,
    )
    from sanctiongraph.spark import SparkUnavailable
    from sanctiongraph.store import open_store

    tell = _stage_printer(progress)
    replacements = _derivers(compute, spark_master)
    store = open_store(store_location)  # the ontology and reference data once it passed
    clock = [time.perf_counter()]

    def loaded(graph: str, count: int) -> None:
        if tell:
            tell("load", f"{graph}: {count} triples", time.perf_counter() - clock[0])
            clock[0] = time.perf_counter()

    try:
        counts = read_and_load(store, list(paths), graph_name, loaded)
    except IngestError as exc:
        store.close()
        _fail([str(e) for e in exc.errors] + ["nothing was loaded"])
    if not has_bundled(store):
        load_bundled(store)
    if SHAPES_GRAPH not in store.graphs():
        load_shapes(store)
    for graph, count in counts.items():
        click.echo(f"{graph}: {count} triples")
    start = time.perf_counter()
    try:
        derived = run_derivers(store, _as_of(as_of), replacements)
    except SparkUnavailable as exc:
        store.close()  # the derived graph stays unfinished: the next command redoes it
        _fail(str(exc))
    if tell:
        tell("derive", f"{derived} derived triples", time.perf_counter() - start)
    click.echo(f"{DERIVED.value}: {derived} triples (as of {_as_of(as_of).isoformat()})")
    store.close()


@cli.command()
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--query", "text", default=None, help="SPARQL query text instead of a file.")
@STORE
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
def query(file: Path | None, text: str | None, store_location: str | None, fmt: str) -> None:
    """Run a read-only SPARQL query over the union of the store's graphs.

    The prefixes sg, rdf, rdfs, owl, xsd, skos, dct, sh, prov, id and ref may be used
    without declaring them. The query is checked as the server's endpoint checks it: no
    SERVICE, LOAD, updates or FROM outside the store's graphs, and bounded nesting, size
    and flat chains (exit 2 otherwise; nothing is sent anywhere).
    """
    from sanctiongraph.api.guard import QuerySyntaxError, UnsafeQuery, inspect_query
    from sanctiongraph.queries import (
        oxigraph_syntax_error,
        syntax_error_message,
        with_common_prefixes,
    )

    if (file is None) == (text is None):
        _fail("give either a query file or --query TEXT")
    sparql = text if text is not None else file.read_text(encoding="utf-8") if file else ""
    prefixed, added = with_common_prefixes(sparql)
    store = _open(store_location)
    try:
        inspect_query(
            prefixed,
            {g.value for g in store.graphs()},
            max_length=len(prefixed),
            max_terms=max(len(prefixed), 1),
        )
        results = store.query(prefixed)
    except QuerySyntaxError as exc:
        store.close()
        _fail(
            syntax_error_message((exc.line, exc.column, exc.expected), sparql, added).splitlines()
        )
    except UnsafeQuery as exc:
        store.close()
        _fail(f"refused: {exc}")
    except SyntaxError as exc:
        store.close()
        _fail(syntax_error_message(oxigraph_syntax_error(exc), sparql, added).splitlines())
    click.echo(_render_results(results, fmt))
    store.close()


def _render_results(
    results: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, fmt: str
) -> str:
    import pyoxigraph as ox

    from sanctiongraph.spreadsheet import csv_text
    from sanctiongraph.terms import rdf_bytes

    if isinstance(results, ox.QueryBoolean):
        return (
            json.dumps({"boolean": bool(results)}) if fmt == "json" else str(bool(results)).lower()
        )
    if isinstance(results, ox.QueryTriples):
        return rdf_bytes(results, ox.RdfFormat.N_TRIPLES).decode()
    names = [v.value for v in results.variables]
    rows = [[_cell(s[n]) for n in names] for s in results]
    if fmt == "json":
        return json.dumps([dict(zip(names, r)) for r in rows], indent=2, ensure_ascii=False)
    if fmt == "csv":  # cells that would be spreadsheet formulas are neutralised
        return csv_text(names, rows)
    widths = [max([len(n)] + [len(r[i] or "") for r in rows]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths))]
    lines += ["  ".join((c or "").ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def _cell(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str | None:
    import pyoxigraph as ox

    if term is None:
        return None
    return str(term) if isinstance(term, ox.Triple) else term.value


@cli.command()
@STORE
@click.option(
    "--graph",
    "graph_name",
    default=None,
    help="Export one graph (e.g. source/demo-world, derived); default: all.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["nquads", "trig", "turtle", "ntriples"]),
    default="nquads",
    show_default=True,
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
def export(
    store_location: str | None, graph_name: str | None, fmt: str, output: Path | None
) -> None:
    """Export the store (or one named graph) as RDF."""
    import pyoxigraph as ox

    from sanctiongraph.namespaces import GRAPH

    store = _open(store_location)
    graph = ox.NamedNode(str(GRAPH[graph_name])) if graph_name else None
    if graph is not None and graph not in store.graphs():
        _fail(
            f"no graph named {graph_name!r}; graphs: "
            + ", ".join(g.value.removeprefix(str(GRAPH)) for g in store.graphs())
        )
    if fmt in ("turtle", "ntriples") and graph is None:
        _fail(f"--format {fmt} holds one graph: add --graph NAME, or use nquads/trig")
    data = _serialize(store, graph, fmt)
    if output:
        output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    store.close()


def _serialize(store: GraphStore, graph: ox.NamedNode | None, fmt: str) -> bytes:
    import pyoxigraph as ox

    from sanctiongraph.terms import rdf_bytes

    formats = {
        "nquads": ox.RdfFormat.N_QUADS,
        "trig": ox.RdfFormat.TRIG,
        "turtle": ox.RdfFormat.TURTLE,
        "ntriples": ox.RdfFormat.N_TRIPLES,
    }
    if graph is None:
        quads = [
            ox.Quad(t.subject, t.predicate, t.object, g)
            for g in store.graphs()
            for t in store.triples(g)
        ]
        return rdf_bytes(quads, formats[fmt])
    return rdf_bytes(list(store.triples(graph)), formats[fmt])


@cli.command()
@click.argument("entity")
@click.option(
    "--max-depth",
    type=click.IntRange(1, 10),
    default=4,
    show_default=True,
    help="Longest chain of accounts to follow.",
)
@AS_OF
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json prints exactly the body of GET /entities/{id}/access-paths.",
)
@STORE
def access(
    entity: str, max_depth: int, as_of: datetime | None, fmt: str, store_location: str | None
) -> None:
    """Indirect-access paths from an institution into US correspondent accounts.

    ENTITY is a data-package id or a full IRI. Each path follows nested accounts (the
    holder reaches the institution that maintains the account), open on the date, and
    says whether its last account is a correspondent account in the US kept by a covered
    financial institution. At most 10,000 paths (about 5 MB, 5 s): the first line, and
    "truncated" in the JSON, say when there were more. Exit 2 for an unknown entity.
    """
    from sanctiongraph.analysis.access import access_paths, render_text
    from sanctiongraph.entities import UnknownEntity

    day = _as_of(as_of)
    store = _open(store_location)
    try:
        body = access_paths(store, entity, day, max_depth)
    except UnknownEntity as exc:
        _fail(f"{exc} (load its data package first: sanctiongraph load PATH)")
    finally:
        store.close()
    click.echo(
        json.dumps(body, indent=2, ensure_ascii=False)
        if fmt == "json"
        else render_text(body, day, max_depth)
    )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@STORE
@click.option(
    "--api-key",
    envvar="SANCTIONGRAPH_API_KEY",
    default=None,
    help="Key for write endpoints (X-API-Key); default: writes disabled.",
)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="Log a line per request (about a tenth of the CPU of a cheap request).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Server processes. Above 1, each opens the on-disk store read-only and "
    "keeps its own copies (memory times N), and writes are refused.",
)
@click.option(
    "--read-requires-key",
    is_flag=True,
    default=False,
    help="Reads need the API key too (X-API-Key), /healthz details and the "
    "OpenAPI pages included; /healthz without it says only that it is up.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="HOST",
    help="Host header value to answer (repeatable; *.example.org allowed). "
    "Default: localhost, 127.0.0.1, ::1 and --host.",
)
@click.option(
    "--query-workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Processes that run SPARQL queries (per server process).",
)
@click.option(
    "--query-deadline",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    metavar="SECONDS",
    help="A SPARQL query still running then is stopped (503).",
)
@click.option(
    "--query-memory",
    "query_memory",
    default=1024,
    show_default=True,
    type=click.IntRange(min=64),
    metavar="MB",
    help="Memory cap (heap) of each query worker, in MiB; a query that needs "
    "more gets 400 and its worker is replaced.",
)
@click.option(
    "--query-per-client",
    default=4,
    show_default=True,
    type=click.IntRange(min=1),
    help="SPARQL queries one client address may have running or waiting (429 above).",
)
@click.option(
    "--max-connections",
    default=1000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Open connections a server process accepts; above, requests get 503.",
)
@click.option(
    "--header-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    metavar="SECONDS",
    help="A connection that takes longer to send a request's headers is closed.",
)
@click.option(
    "--max-connections-per-client",
    default=100,
    show_default=True,
    type=click.IntRange(min=0),
    help="Connections one client address may hold; more are refused at once with 503 (0: no cap).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date of the derived graph, computed again for it before serving when the "
    "store's is another (YYYY-MM-DD; default: the store's, today for an "
    "empty store). /healthz says it.",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Origin (https://dash.example.org) whose pages may call the API from a "
    "browser (repeatable; default: none).",
)
def serve(
    host: str,
    port: int,
    store_location: str | None,
    api_key: str | None,
    access_log: bool,
    workers: int,
    read_requires_key: bool,
    allowed_hosts: tuple[str, ...],
    query_workers: int,
    query_deadline: float,
    query_memory: int,
    query_per_client: int,
    max_connections: int,
    header_timeout: float,
    max_connections_per_client: int,
    as_of: datetime | None,
    cors_origins: tuple[str, ...],
) -> None:
    """Serve the HTTP API and SPARQL endpoint (an empty store gets the demo data first)."""
    from sanctiongraph.api.serve import ConnectionLimits
    from sanctiongraph.api.serve import serve as run_server

    query: dict[str, float | None] = {
        "query_workers": query_workers,
        "query_deadline_seconds": query_deadline,
        "query_memory_mb": query_memory,
        "query_per_client": query_per_client,
    }
    try:
        run_server(
            host,
            port,
            store_location,
            api_key,
            access_log,
            workers,
            read_requires_key,
            allowed_hosts,
            query,
            ConnectionLimits(
                max_connections, header_timeout, per_client=max_connections_per_client
            ),
            as_of=as_of.date() if as_of is not None else None,
            cors_origins=cors_origins,
        )
    except ValueError as exc:
        _fail(str(exc))


@cli.command()
@click.argument("entity")
@AS_OF
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json prints exactly the body of GET /entities/{id}/owners.",
)
@STORE
def owners(entity: str, as_of: datetime | None, fmt: str, store_location: str | None) -> None:
    """OFAC 50 Percent Rule status of an entity, with its reasons and ownership chains.

    ENTITY is a data-package id or a full IRI. Blocked: listed on the SDN List, or owned
    50 percent or more in aggregate by blocked persons (whose stakes count in full);
    possibly blocked: only ownership bands at their maximum would get there. Exit 2 for
    an unknown entity.
    """
    from sanctiongraph.analysis.loader import entity_status, render_text
    from sanctiongraph.entities import UnknownEntity

    day = _as_of(as_of)
    store = _open(store_location)
    try:
        found = entity_status(store, entity, day)
    except UnknownEntity as exc:
        _fail(f"{exc} (load its data package first: sanctiongraph load PATH)")
    finally:
        store.close()
    if fmt == "json":  # the API's own encoder: the same body, number for number
        from sanctiongraph.api.encoding import owners_json

        click.echo(json.dumps(json.loads(owners_json(found)), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(found.as_dict(), day))


@cli.command("ontology-docs")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
def ontology_docs(output: Path | None) -> None:
    """Write the vocabulary page: HTML documentation of the ontology, made by pyLODE from
    its Turtle (the page that serve answers at /ontology). Needs the docs extra."""
    from sanctiongraph.ontology_docs import OntologyDocsUnavailable, ontology_html

    try:
        page = ontology_html()
    except OntologyDocsUnavailable as exc:
        _fail(str(exc))
    if output:
        output.write_text(page, encoding="utf-8")
    else:
        click.echo(page)


def main() -> None:
    """Console entry point: user errors exit 2 with a message, never a traceback."""
    from sanctiongraph.errors import StoreError

    try:
        cli.main(standalone_mode=True)
    except StoreError as exc:
        _fail(str(exc))
    except SystemExit:
        raise
    except Exception as exc:
        if os.environ.get("SANCTIONGRAPH_DEBUG"):
            raise
        _fail(
            f"internal error: {exc.__class__.__name__}: {exc} "
            "(set SANCTIONGRAPH_DEBUG=1 for a traceback)",
            code=3,
        )


if __name__ == "__main__":
    main()
