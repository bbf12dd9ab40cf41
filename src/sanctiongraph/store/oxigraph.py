"""The embedded store: pyoxigraph, on disk (RocksDB) or in memory."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from sanctiongraph.store.base import GraphStore, StoreError

# Where a replacement waits, inside the store directory, until it is in the store.
JOURNAL = "sanctiongraph-journal"
# Held shared by ``serve --workers N`` (whose processes read the directory without
# RocksDB's lock) and exclusively by every writer: the two never meet.
SERVED_LOCK = "sanctiongraph-served.lock"
# In the store directory: the immutable checkpoints that readers open beside a writer
# (the server's query workers, and read commands while ``serve`` holds the store), and
# the file in which a single-process ``serve`` names the checkpoint it publishes.
READER_CHECKPOINTS = "sanctiongraph-query-snapshots"
SERVED_CHECKPOINT = "served"
# A line that fails N-Triples parsing (a literal cannot be a subject), lenient or not.
_NOT_NTRIPLES = b'\n"the data being loaded failed" .\n'


def _widen(fd: int) -> None:
    """Make a pipe's buffer 1 MiB where Linux allows (fewer switches between threads),
    and its writes non-blocking (see :func:`_write_all`)."""
    with contextlib.suppress(ImportError, OSError):
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    os.set_blocking(fd, False)


def _join(thread: threading.Thread) -> None:
    """Wait for ``thread`` even through further interrupts: the store must not be
    cleaned up while its loader still writes (the first exception is still raised)."""
    while thread.ident is not None and thread.is_alive():
        with contextlib.suppress(KeyboardInterrupt):
            thread.join()


def _write_all(fd: int, data: bytes, reader: threading.Thread) -> bool:
    """Write ``data`` to the pipe ``fd`` while ``reader`` is alive to read it; ``False``
    when it died first (a blocking write would then wait for ever)."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            if not reader.is_alive():
                return False
            select.select([], [fd], [], 0.1)
    return True


def hold_lock(store_dir: Path, shared: bool) -> int | None:
    """Take ``SERVED_LOCK`` of ``store_dir`` (shared for the read-only server processes,
    exclusive for a writer) and return its descriptor, which holds it until closed;
    ``None`` where the platform has no ``flock``. Raises :class:`StoreError` when the
    other side holds it."""
    try:
        import fcntl
    except ImportError:
        return None
    fd = os.open(store_dir / SERVED_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreError(
            f"the store at {store_dir} is open for writing elsewhere; stop that first"
            if shared
            else f"the store at {store_dir} is being read (sanctiongraph serve --workers N, "
            "or a read command); stop the server before writing to it, or write through "
            "the server's POST /graphs with one process"
        ) from None
    return fd


def open_for_reading(path: Path) -> OxigraphStore:
    """The store at ``path`` for a read command. Nobody else has it: opened as usual
    (a reader may then finish an interrupted load). ``serve --workers N`` reads it:
    opened read-only, holding ``SERVED_LOCK`` shared meanwhile (no writer can start).
    A single-process ``serve`` holds it: the checkpoint that the server publishes
    (:func:`publish_checkpoint`) is linked into a private folder and opened read-only,
    so the server's later writes and checkpoints never pull files from under it.
    Raises :class:`StoreError` when another writer (``load``) has it."""
    try:
        import fcntl
    except ImportError:
        return OxigraphStore(path)
    if not (path / SERVED_LOCK).is_file():
        return OxigraphStore(path)
    fd = os.open(path / SERVED_LOCK, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pass
    else:  # nobody has it
        os.close(fd)
        return OxigraphStore(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:  # a writer has it
        os.close(fd)
        return _open_published(path)
    try:
        store = OxigraphStore(path, read_only=True)
    except BaseException:
        os.close(fd)
        raise
    store._lock_fd = fd  # released by close()
    return store


def publish_checkpoint(store: OxigraphStore, checkpoint: Path) -> None:
    """Name ``checkpoint`` (a :meth:`pyoxigraph.Store.backup` of ``store`` inside
    ``READER_CHECKPOINTS``) as the one read commands open while this process writes."""
    assert store.path is not None
    pointer = store.path / READER_CHECKPOINTS / SERVED_CHECKPOINT
    draft = pointer.with_name(f".{SERVED_CHECKPOINT}-{os.getpid()}")
    draft.write_text(checkpoint.name, encoding="utf-8")
    os.replace(draft, pointer)


def withdraw_checkpoint(store_dir: Path) -> None:
    """Stop naming a checkpoint for readers (the server is stopping)."""
    (store_dir / READER_CHECKPOINTS / SERVED_CHECKPOINT).unlink(missing_ok=True)


def _open_published(path: Path) -> OxigraphStore:
    root = path / READER_CHECKPOINTS
    for _ in range(5):  # the server may replace its checkpoint meanwhile: read the name again
        try:
            name = (root / SERVED_CHECKPOINT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            break
        pid = name.split("-", 1)[0]
        if not (pid.isdigit() and process_running(int(pid))):
            break  # left by a server that was killed: whoever writes now published nothing
        # Named after this process, so that a server deletes it once this has ended.
        private = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-reader-", dir=root))
        try:
            for file in (root / name).iterdir():
                os.link(file, private / file.name)
            store = OxigraphStore(private, read_only=True)
        except (FileNotFoundError, StoreError):
            shutil.rmtree(private, ignore_errors=True)
            continue
        store._private_copy = private
        return store
    raise StoreError(
        f"the store at {path} is open for writing in another process "
        "(sanctiongraph load, or a server still starting); try again when it "
        "has finished"
    )


def process_running(pid: int) -> bool:
    """Whether the process ``pid`` is running (checkpoints are named after their makers)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (where the platform allows opening a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _variables(substitutions: Mapping[str, Any] | None) -> dict[ox.Variable, Any] | None:
    if not substitutions:
        return None
    return {ox.Variable(name.lstrip("?$")): term for name, term in substitutions.items()}


class OxigraphStore(GraphStore):
    """A :class:`~sanctiongraph.store.base.GraphStore` backed by pyoxigraph.

    N-Triples reach it only from our own serialisers (the CSV mapper, ``ox.serialize``,
    a CONSTRUCT's results), already checked, so it loads them leniently: Oxigraph skips
    re-validating every IRI and literal (a quarter of the load time).
    """

    def __init__(self, path: Path | None, read_only: bool = False) -> None:
        """Memory when ``path`` is ``None``; with ``read_only``, the on-disk store is
        opened for reading only: any number of processes may do that beside a writer."""
        self.path = path
        self.read_only = read_only
        try:
            if path is None:
                self._store = ox.Store()
            elif read_only:
                self._store = ox.Store.read_only(str(path))
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from None
        self._lock_fd: int | None = None
        self._private_copy: Path | None = None
        if path is not None and not read_only:
            try:
                self._lock_fd = hold_lock(path, shared=False)
            except StoreError:
                del self._store
                raise
            self._recover()

    def _recover(self) -> None:
        """Finish what a killed writer left: replacements already journaled are done
        again from their journaled data (so the graph holds the new version, never
        nothing), unfinished journal entries and the bulk loader's temporary files
        are deleted. Safe here: opening for writing took the store's lock."""
        assert self.path is not None
        for orphan in self.path.glob("bulk-*.sst"):
            orphan.unlink(missing_ok=True)
        journal = self.path / JOURNAL
        if not journal.is_dir():
            return
        for entry in sorted(journal.iterdir()):
            if entry.name.startswith("."):
                shutil.rmtree(entry, ignore_errors=True)  # never committed: the old graph stands
            else:
                self._replace_from_journal(entry)

    def _journal_replacement(self, graph: ox.NamedNode, data: bytes) -> Path:
        """Write ``data`` for ``graph`` to the journal and commit it (a rename, after
        fsync): from then on a crash is finished by :meth:`_recover`."""
        assert self.path is not None
        journal = self.path / JOURNAL
        journal.mkdir(exist_ok=True)
        pending = Path(tempfile.mkdtemp(prefix=".pending-", dir=journal))
        for name, content in (("graph", graph.value.encode()), ("data.nt", data)):
            with open(pending / name, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
        entry = journal / pending.name.removeprefix(".pending-")
        os.rename(pending, entry)
        _fsync_dir(journal)
        return entry

    def _replace_from_journal(self, entry: Path) -> None:
        """Drop the graph and bulk-load it from a committed journal entry, then forget
        the entry (doing it twice gives the same graph)."""
        graph = ox.NamedNode((entry / "graph").read_text(encoding="utf-8"))
        self.drop_graph(graph)
        self._store.bulk_load(
            path=str(entry / "data.nt"), format=ox.RdfFormat.N_TRIPLES, to_graph=graph, lenient=True
        )
        self._store.add_graph(graph)
        self._store.flush()
        shutil.rmtree(entry)

    @property
    def native(self) -> ox.Store:
        """The underlying pyoxigraph store (for bulk paths that need it)."""
        return self._store

    def replace_graph_ntriples(
        self, graph: ox.NamedNode, data: bytes, *, bulk: bool = False
    ) -> None:
        if bulk and self.path is not None and self._store.contains_named_graph(graph):
            # Drop, then bulk load: on disk the bulk loader writes sorted files directly,
            # about 3x faster than a transaction. Readers may briefly see no graph; the
            # data is journaled first, so a crash in between is finished when the store
            # is opened again (the new graph, never none and never part of one).
            self._replace_from_journal(self._journal_replacement(graph, data))
        elif bulk:
            # A new graph (a crash leaves none), or memory (nothing survives a crash).
            self.drop_graph(graph)
            load = self._store.bulk_load if self.path is not None else self._store.load
            load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=graph, lenient=True)
        else:
            # One SPARQL update is one transaction: readers see the old graph or the new
            # one. (N-Triples lines are valid triples inside INSERT DATA.)
            body = data.decode()
            self._store.update(
                f"DROP SILENT GRAPH {graph} ; INSERT DATA {{ GRAPH {graph} {{\n{body}\n}} }}"
            )
        self._store.add_graph(graph)  # the graph exists even when the data is empty
        if self.path is not None:
            self._store.flush()

    def load_new_graph(self, graph: ox.NamedNode, chunks: Iterable[bytes]) -> int:
        """Oxigraph's loader (the bulk loader on disk, one transaction in memory) reads
        the chunks from a pipe in a second thread while this one makes them. It reads
        the pipe in Rust, without the GIL, so the two overlap: for a 100k-entity package
        most of the CSV mapper's 4 s hide behind the load. When ``chunks`` raises, a
        line that is not N-Triples goes down the pipe: the loader then fails, and
        either loader writes nothing when it fails."""
        if not Path("/dev/fd").is_dir():  # no pipe by path here: join, then load
            return GraphStore.load_new_graph(self, graph, chunks)
        if self._store.contains_named_graph(graph):
            raise ValueError(f"{graph} is in the store already")
        read_end, write_end = os.pipe()
        failure: list[BaseException] = []
        loader_call = self._store.bulk_load if self.path is not None else self._store.load

        def load() -> None:
            try:
                loader_call(
                    path=f"/dev/fd/{read_end}",
                    format=ox.RdfFormat.N_TRIPLES,
                    to_graph=graph,
                    lenient=True,
                )
            except BaseException as exc:
                failure.append(exc)

        loader = threading.Thread(target=load, name=f"load {graph.value}", daemon=True)
        lines = 0
        written = False
        try:
            _widen(write_end)
            loader.start()
            for chunk in chunks:
                lines += chunk.count(b"\n")
                if not _write_all(write_end, chunk, loader):
                    break  # the loader failed: its error is raised below
            written = True
        finally:
            if not written:
                with contextlib.suppress(BaseException):
                    _write_all(write_end, _NOT_NTRIPLES, loader)
            os.close(write_end)
            try:
                _join(loader)
            finally:
                os.close(read_end)
                if not written or failure:
                    # Nothing should be there; if the failing line could not be sent,
                    # the loader committed what it had read: the graph was new, so drop it.
                    self.drop_graph(graph)
        if failure:
            raise StoreError(f"the load into {graph} failed: {failure[0]}") from failure[0]
        self._store.add_graph(graph)
        if self.path is not None:
            self._store.flush()
        return lines

    def add_triples(self, graph: ox.NamedNode, triples: Iterable[ox.Triple]) -> int:
        triples = list(triples)
        if triples:
            # Serialising and parsing in Rust beats building one Quad object per triple.
            self._store.load(
                ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES),
                format=ox.RdfFormat.N_TRIPLES,
                to_graph=graph,
                lenient=True,
            )
        return len(triples)

    def add_constructed(self, graph: ox.NamedNode, construct: str) -> None:
        # The triples go from the query to the graph without becoming Python objects.
        data = self.query(construct).serialize(format=ox.RdfFormat.N_TRIPLES)
        if data:
            self._store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=graph, lenient=True)

    def drop_graph(self, graph: ox.NamedNode) -> None:
        if self._store.contains_named_graph(graph):
            self._store.remove_graph(graph)

    def graphs(self) -> list[ox.NamedNode]:
        return sorted(
            (g for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)),
            key=lambda g: g.value,
        )

    def query(self, sparql: str, substitutions: Mapping[str, Any] | None = None) -> Any:
        return self._store.query(
            sparql,
            use_default_graph_as_union=True,
            substitutions=_variables(substitutions),
        )

    def update(self, sparql: str) -> None:
        self._store.update(sparql)

    def has_subject(self, node: ox.NamedNode) -> bool:
        # An index lookup, without parsing and planning a query (17 us against 42 us).
        return next(iter(self._store.quads_for_pattern(node, None, None)), None) is not None

    def objects(
        self, node: ox.NamedNode, predicate: ox.NamedNode
    ) -> list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]:
        return [quad.object for quad in self._store.quads_for_pattern(node, predicate, None)]

    def triples(self, graph: ox.NamedNode | None = None) -> Iterable[ox.Triple]:
        for quad in self._store.quads_for_pattern(None, None, None, graph):
            if graph is None and isinstance(quad.graph_name, ox.DefaultGraph):
                continue
            yield quad.triple

    def count(self, graph: ox.NamedNode | None = None) -> int:
        # Counted in Rust: about 20x faster than iterating the quads in Python.
        scope = str(graph) if graph is not None else "?g"
        solutions = self._store.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {scope} {{ ?s ?p ?o }} }}"
        )
        assert isinstance(solutions, ox.QuerySolutions)
        return int(next(iter(solutions))["n"].value)

    def close(self) -> None:
        if self.path is not None and not self.read_only:
            self._store.flush()
        del self._store
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the writer's (or reader's) lock
            self._lock_fd = None
        if self._private_copy is not None:
            shutil.rmtree(self._private_copy, ignore_errors=True)
            self._private_copy = None
