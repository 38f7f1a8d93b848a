"""Row filters: another binding of a whole-graph report answered from its default answer's rows.

``kg precompute`` stores each whole-graph report's rows for its default binding, all of
them (:mod:`kg.reports.stored`). Where a report declares a ``row-filter`` for a parameter
(:class:`kg.reports.definitions.RowFilter`), the rows for another value are some of those:
``organizations?organization=tsinghua`` is the default answer's rows whose ``tag`` or
``org_name`` equals ``tsinghua`` ignoring case, ``top-authors-by-papers?min_papers=5`` those
whose ``papers`` is at least 5. At a million papers the query takes a minute or more; a
filter over the stored rows takes milliseconds.

:class:`StoredTable` is such a stored answer: the SPARQL TSV file held open, each row's line
offsets, and per filtered column an index built once per store version (value -> row
positions; a NumPy array of integers for ``at-least``), all from one read of the whole file
when the table is built (that copy is then dropped). A request reads only the bytes of the
rows it picks (``os.pread``, rows close together in one read), and only those become
terms (the first rows, which the default answer shows, once: the default answer and every
filtered one share them). The pages read are the page cache's, shared by every server
process.

The file is read, not memory-mapped: a mapped file that an operator cuts short in place
(``cp`` over it, ``rsync --inplace``, a store on NFS written from another host) kills the
process with SIGBUS on the next read past its new end, with no log line. A read cannot
crash: a short read, or a file whose size or change time (``st_ctime``: any write or
truncation sets it, and no one can set it back) is not what it was when the table was built,
raises :class:`StaleTable`, and the runner runs the query and looks for the file again (which
is then checked against its side file as any stored file is). The open descriptor keeps the
old file's data when kg renames a new file into place (the old file then loses its name,
which sets its change time: the table is found stale and read again). On NFS the times are
the client's cached attributes (seconds old at most), so a file rewritten from another host
may be noticed that much later, unless its lines moved (each read checks that it holds as
many lines as it did, the last ending where it did) or it got shorter (a short read).

A filter gives the query's rows only where it compares as the query does; where it cannot
be sure, it says so (None) and the query runs:

* ``equal-ignoring-case`` reads plain strings only (``xsd:string``): an unbound cell, an
  IRI or a language-tagged string makes the query's comparison an error or a comparison of
  another kind, which the ``COALESCE(..., true)`` of an optional filter turns into "keep the
  row"; lower-casing is SPARQL's ``LCASE`` (ASCII in Python, which is the same by
  definition; other text by pyoxigraph itself, so that no Unicode table can differ);
* ``at-least`` reads ``xsd:integer`` cells only (a ``COUNT`` is one), and a value below the
  default's is not a subset of the default's rows;
* ``on-or-after`` reads plain ``xsd:date`` cells only (YYYY-MM-DD, no time zone: those the
  query compares as numbers do); one other cell in the column (a time zone, a long year)
  and every request of the report runs the query, as the stored rows cannot say which rows
  the query's comparison keeps. kg writes plain dates.

The rows come in the stored order, the default answer's; where the query's ``ORDER BY`` is
total that is the order the query gives, else rows that tie may come in another order (as
they may from one run of the query to the next).
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from collections.abc import Collection, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pyoxigraph as ox

from kg.rdf.namespace import XSD
from kg.reports.definitions import Report, RowFilter

Row = tuple[Any, ...]

_XSD_STRING = ox.NamedNode(str(XSD.string))
_XSD_INTEGER = ox.NamedNode(str(XSD.integer))
#: The most one read(2) returns on Linux; a longer range takes several.
_READ_MAX = 0x7FFFF000
#: Picked rows closer than this (bytes) are read in one read, the rows between dropped.
_GAP = 16384
#: How kg's own TSV writer spells an integer (pyoxigraph's writes it bare: ``42``).
_FULL_INTEGER = b'"^^<' + _XSD_INTEGER.value.encode() + b">"
_XSD_DATE = ox.NamedNode(str(XSD.date))
_FULL_DATE = b'"^^<' + _XSD_DATE.value.encode() + b">"
#: A plain xsd:date (no time zone), as a query compares them: YYYY-MM-DD, four-digit year.
_PLAIN_DATE = re.compile(rb"\d{4}-\d{2}-\d{2}")
_TSV = ox.QueryResultsFormat.TSV
_LCASE_QUERY = "SELECT ?x (LCASE(?x) AS ?lower) WHERE {}"
#: The empty in-memory store that evaluates LCASE of non-ASCII text: made on first use (an
#: import makes no store; most text is ASCII), once, whichever thread comes first.
_lcase_store: ox.Store | None = None
_lcase_lock = threading.Lock()


def _lcase_evaluator() -> ox.Store:
    global _lcase_store
    store = _lcase_store
    if store is None:
        with _lcase_lock:
            if _lcase_store is None:
                _lcase_store = ox.Store()
            store = _lcase_store
    return store


@lru_cache(maxsize=65536)
def _lcase_other(text: str) -> str:
    solutions = _lcase_evaluator().query(
        _LCASE_QUERY, substitutions={ox.Variable("x"): ox.Literal(text)}
    )
    assert isinstance(solutions, ox.QuerySolutions)
    lower = next(iter(solutions))[1]
    assert isinstance(lower, ox.Literal)
    return lower.value


def lcase(text: str) -> str:
    """SPARQL's ``LCASE`` of a plain string, as the store computes it."""
    return text.lower() if text.isascii() else _lcase_other(text)


class _Unusable(Exception):
    """A cell the filter cannot compare as the query does."""


class StaleTable(Exception):
    """The file under a :class:`StoredTable` changed since the table was built (cut short,
    overwritten in place): the table cannot answer; run the query instead."""


def read_whole(fd: int, size: int, offset: int = 0) -> bytes:
    """``size`` bytes of an open file from ``offset`` (``os.pread``: the descriptor's position
    is neither used nor moved, so threads and forked processes may share it); fewer when the
    file ends first. Raises OSError."""
    parts = []
    while size > 0:
        part = os.pread(fd, min(size, _READ_MAX), offset)
        if not part:
            break
        parts.append(part)
        size -= len(part)
        offset += len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def file_signature(stat: os.stat_result) -> tuple[int, ...]:
    """What changes when a file's data does: its identity, size, modification and change
    times (the change time is set by every write or truncation and cannot be set back)."""
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


class StoredTable:
    """A stored answer (SPARQL TSV results: a header line, then one line per row) with the
    line offsets of its rows and an index per filtered column.

    ``fd``: the file, open (the table owns it: closed when the table is collected; never
    closed while another thread may read it, so its number cannot be reused under a read);
    ``data``: its whole content, read once here and not kept; ``signature``:
    :func:`file_signature` of the file as it was before ``data`` was read (a change since
    makes every later read raise :class:`StaleTable`); ``filters``: the row filters whose
    columns get an index now; ``hidden``: the columns the answer leaves out (the report's
    parameters, which pyoxigraph needs projected); ``head``: how many leading rows to keep
    as terms once parsed. Raises ValueError for data that is not a TSV results document.
    """

    def __init__(
        self,
        fd: int,
        data: bytes,
        *,
        signature: tuple[int, ...],
        filters: Sequence[RowFilter] = (),
        hidden: Collection[str] = (),
        head: int,
    ):
        view = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(view == 10)
        if not len(ends):
            raise ValueError("not a TSV results document: no header line")
        header = bytes(data[: int(ends[0])])
        self.header = header
        self.variables = tuple(v.lstrip("?$") for v in header.decode("utf-8").split("\t"))
        if header == b"":
            self.variables = ()
        self._signature = signature
        #: Row i is the file's bytes [starts[i], ends[i]) (without its line break).
        self._ends = ends[1:]
        self._starts = ends[:-1] + 1
        self.keep = tuple(i for i, v in enumerate(self.variables) if v not in hidden)
        self.columns = tuple(self.variables[i] for i in self.keep)
        self._head_size = head
        self._head: list[Row] | None = None
        self._lock = threading.Lock()
        self._indexes: dict[tuple[str, str], Any] = {}
        for row_filter in filters:
            for column in row_filter.columns:
                if column in self.variables:
                    self._indexes[(row_filter.kind, column)] = self._build_index(
                        data, row_filter, self.variables.index(column)
                    )
        # Last: until here a failure leaves the file to the caller to close.
        self._fd = fd
        self._closed = weakref.finalize(self, os.close, fd)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        filters: Sequence[RowFilter] = (),
        hidden: Collection[str] = (),
        head: int,
    ) -> StoredTable:
        """The table of a TSV results file, unchecked (see
        :meth:`kg.reports.stored.PrecomputedReports.table` for the checked one). Raises
        OSError, ValueError."""
        fd = os.open(path, os.O_RDONLY)
        try:
            stat = os.fstat(fd)
            data = read_whole(fd, stat.st_size)
            table = cls(
                fd, data, signature=file_signature(stat), filters=filters, hidden=hidden, head=head
            )
        except BaseException:
            os.close(fd)
            raise
        return table

    def __len__(self) -> int:
        return len(self._ends)

    # -- rows

    def _read(self, first: int, last: int) -> bytes:
        """Rows ``first`` to ``last`` (inclusive) as the file holds them, each with its line
        break (unchecked: :meth:`_parse` checks the file after its reads). Raises StaleTable
        when the file is shorter than it was or its lines are not where they were."""
        start, stop = int(self._starts[first]), int(self._ends[last]) + 1
        try:
            body = read_whole(self._fd, stop - start, start)
        except OSError as error:
            raise StaleTable(f"the stored rows cannot be read: {error}") from error
        if len(body) != stop - start or body[-1:] != b"\n" or body.count(b"\n") != last - first + 1:
            raise StaleTable("the stored rows changed since they were read")
        return body

    def _lines(self, at: np.ndarray) -> bytes:
        """The lines of the rows at positions ``at`` (ascending), each with its line break:
        rows less than ``_GAP`` bytes apart in one read (consecutive rows in one piece), the
        file checked after the reads. Raises StaleTable when it is shorter or changed since
        the table was built (a change that could touch what was read sets the file's change
        time before its data is written)."""
        starts, ends = self._starts[at], self._ends[at]
        cuts = (np.flatnonzero(starts[1:] - ends[:-1] > _GAP) + 1).tolist()
        pieces = []
        for a, b in zip([0, *cuts], [*cuts, len(at)], strict=True):
            first, last = int(at[a]), int(at[b - 1])
            block = self._read(first, last)
            if last - first == b - a - 1:
                pieces.append(block)  # consecutive rows
            else:
                base = int(self._starts[first])
                for start, end in zip(
                    (starts[a:b] - base).tolist(), (ends[a:b] - base + 1).tolist(), strict=True
                ):
                    pieces.append(block[start:end])
        try:
            changed = file_signature(os.fstat(self._fd)) != self._signature
        except OSError as error:
            raise StaleTable(f"the stored rows cannot be read: {error}") from error
        if changed:
            raise StaleTable("the stored rows changed since they were read")
        return b"".join(pieces)

    def _parse(self, positions: Sequence[int] | np.ndarray, keep: Sequence[int]) -> list[Row]:
        """The rows at these positions (ascending). Raises StaleTable."""
        if not len(positions):
            return []
        body = self._lines(np.asarray(positions, dtype=np.int64))
        try:
            solutions = ox.parse_query_results(self.header + b"\n" + body, _TSV)
            assert isinstance(solutions, ox.QuerySolutions)
            if len(keep) == len(self.variables):
                return [tuple(solution) for solution in solutions]
            return [tuple(solution[i] for i in keep) for solution in solutions]
        except (SyntaxError, ValueError) as error:
            # Checked when the table was built: the file changed faster than its times tell.
            raise StaleTable(f"the stored rows do not parse: {error}") from error

    def answer_rows(self, positions: np.ndarray) -> list[Row]:
        """The rows at these positions (ascending), in the answer's columns. Raises
        StaleTable (the query must run)."""
        if self._head is None and len(positions) and int(positions[0]) < self._head_size:
            with self._lock:
                if self._head is None:
                    count = min(self._head_size, len(self))
                    self._head = self._parse(np.arange(count), self.keep)
        head = self._head or []
        split = int(np.searchsorted(positions, len(head)))
        if split and int(positions[split - 1]) == split - 1:
            rows = head[:split]  # the first rows (an at-least filter on a count ranked first)
        else:
            rows = list(map(head.__getitem__, positions[:split].tolist()))
        return rows + self._parse(positions[split:], self.keep)

    def full_rows(self, positions: np.ndarray, fill: Mapping[int, Any]) -> list[Row]:
        """The rows at these positions in every column, the columns of ``fill`` set to its
        terms. Raises StaleTable (the query must run)."""
        rows = self._parse(positions, range(len(self.variables)))
        if not fill:
            return rows
        return [tuple(fill.get(i, cell) for i, cell in enumerate(row)) for row in rows]

    # -- filters

    def _cells(self, data: bytes, column: int) -> list[bytes]:
        """The raw TSV cells of one column, a row each."""
        cells = []
        for start, end in zip(self._starts.tolist(), self._ends.tolist(), strict=True):
            cells.append(bytes(data[start:end]).split(b"\t", column + 1)[column])
        return cells

    def _terms(self, cells: list[bytes]) -> list[Any]:
        """Cells as terms (pyoxigraph's parser: escapes, datatypes), for the unusual ones."""
        solutions = ox.parse_query_results(b"?x\n" + b"\n".join(cells) + b"\n", _TSV)
        assert isinstance(solutions, ox.QuerySolutions)
        return [solution[0] for solution in solutions]

    def _string_index(
        self, data: bytes, column: int
    ) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
        """Lower-cased value -> key id, the row positions ordered by key, and each key's bounds."""
        cells = self._cells(data, column)
        values: list[str | None] = []
        unusual: list[int] = []
        for i, cell in enumerate(cells):
            inner = cell[1:-1]
            quoted = len(cell) >= 2 and cell[:1] == b'"' and cell[-1:] == b'"'
            if quoted and b'"' not in inner and b"\\" not in inner:
                values.append(inner.decode("utf-8"))
                continue
            values.append(None)
            unusual.append(i)
        if unusual:
            for i, term in zip(unusual, self._terms([cells[i] for i in unusual]), strict=True):
                if (
                    not isinstance(term, ox.Literal)
                    or term.language is not None
                    or term.datatype != _XSD_STRING
                ):
                    raise _Unusable(f"column {column}: {cells[i]!r} is not a plain string")
                values[i] = term.value
        ids: dict[str, int] = {}
        key_of_row = np.empty(len(values), dtype=np.int32)
        for i, value in enumerate(values):
            assert value is not None
            key_of_row[i] = ids.setdefault(lcase(value), len(ids))
        order = np.argsort(key_of_row, kind="stable").astype(np.int32)
        bounds = np.searchsorted(key_of_row[order], np.arange(len(ids) + 1))
        return ids, order, bounds

    def _integer_index(self, data: bytes, column: int) -> np.ndarray:
        """Each row's integer value of one column."""
        cells = self._cells(data, column)
        out = np.empty(len(cells), dtype=np.int64)
        unusual: list[int] = []
        for i, cell in enumerate(cells):
            text = cell[1 : -len(_FULL_INTEGER)] if cell.endswith(_FULL_INTEGER) else cell
            if text.lstrip(b"-").isdigit() and len(text) < 19:
                out[i] = int(text)
            else:
                unusual.append(i)
        if unusual:
            for i, term in zip(unusual, self._terms([cells[i] for i in unusual]), strict=True):
                if not isinstance(term, ox.Literal) or term.datatype != _XSD_INTEGER:
                    raise _Unusable(f"column {column}: {cells[i]!r} is not an integer")
                try:
                    out[i] = int(term.value)
                except (ValueError, OverflowError) as error:
                    raise _Unusable(f"column {column}: {cells[i]!r}") from error
        return out

    def _date_index(self, data: bytes, column: int) -> np.ndarray:
        """Each row's date of one column as YYYYMMDD; a cell that is not a plain xsd:date
        (a time zone, another type, unbound) makes the column unusable: the query compares
        those its own way."""
        cells = self._cells(data, column)
        out = np.empty(len(cells), dtype=np.int64)
        for i, cell in enumerate(cells):
            text = cell[1 : -len(_FULL_DATE)] if cell.endswith(_FULL_DATE) else b""
            if not _PLAIN_DATE.fullmatch(text):
                raise _Unusable(f"column {column}: {cell!r} is not a plain xsd:date")
            out[i] = int(text.replace(b"-", b""))
        return out

    def _build_index(self, data: bytes, row_filter: RowFilter, at: int) -> Any:
        """The index of one filtered column, None when the column holds a cell the filter
        cannot compare as the query does."""
        try:
            if row_filter.kind == "at-least":
                return self._integer_index(data, at)
            if row_filter.kind == "on-or-after":
                return self._date_index(data, at)
            return self._string_index(data, at)
        except (_Unusable, SyntaxError, ValueError, UnicodeDecodeError):
            return None

    def index(self, row_filter: RowFilter, column: str) -> Any:
        """The index of one filtered column (built with the table), None when the column
        holds a cell the filter cannot compare as the query does or the table was built
        without that filter."""
        return self._indexes.get((row_filter.kind, column))

    def matching(self, row_filter: RowFilter, value: Any) -> np.ndarray | None:
        """The positions (ascending) of the rows that pass ``row_filter`` with ``value``;
        None when the filter cannot give the query's rows."""
        picked: np.ndarray | None = None
        for column in row_filter.columns:
            if column not in self.variables:
                return None
            found = self.index(row_filter, column)
            if found is None:
                return None
            if row_filter.kind == "at-least":
                rows = np.flatnonzero(found >= int(value.value))
            elif row_filter.kind == "on-or-after":
                day = _date_number(value)
                if day is None:
                    return None
                rows = np.flatnonzero(found >= day)
            else:
                ids, order, bounds = found
                k = ids.get(lcase(value.value))
                rows = order[bounds[k] : bounds[k + 1]] if k is not None else order[:0]
            picked = rows if picked is None else np.union1d(picked, rows)
        return picked


def _date_number(term: ox.Literal) -> int | None:
    """A plain xsd:date literal as YYYYMMDD (None for another term)."""
    text = term.value.encode()
    if term.datatype != _XSD_DATE or not _PLAIN_DATE.fullmatch(text):
        return None
    return int(text.replace(b"-", b""))


def picked_rows(
    report: Report,
    table: StoredTable,
    defaults: Mapping[str, Any],
    substitutions: Mapping[str, Any],
) -> np.ndarray | None:
    """Which of the default answer's rows (``table``, stored for ``defaults``) answer the
    query with ``substitutions``: every row when they are the defaults; the rows the row
    filters pick when each parameter that differs has one that can compare its value;
    else None (the query must run)."""
    picked: np.ndarray | None = None
    for name in sorted(set(defaults) | set(substitutions)):
        value, default = substitutions.get(name), defaults.get(name)
        if value == default:
            continue
        row_filter = report.row_filter(name)
        if row_filter is None or not isinstance(value, ox.Literal):
            return None
        if row_filter.kind == "at-least":
            if (
                value.datatype != _XSD_INTEGER
                or not isinstance(default, ox.Literal)
                or default.datatype != _XSD_INTEGER
                or int(value.value) < int(default.value)
            ):
                return None  # below the default: rows the default answer does not hold
        elif row_filter.kind == "on-or-after":
            day = _date_number(value)
            stored = _date_number(default) if isinstance(default, ox.Literal) else None
            if day is None or stored is None or day < stored:
                return None  # before the stored answer's date: rows it does not hold
        elif default is not None or value.datatype != _XSD_STRING or value.language:
            return None
        rows = table.matching(row_filter, value)
        if rows is None:
            return None
        picked = rows if picked is None else np.intersect1d(picked, rows, assume_unique=True)
    return np.arange(len(table)) if picked is None else picked
