"""The report runner: binds parameters, runs reports through any query backend, caches results.

:class:`ReportRunner` runs reports through any :class:`kg.store.query.QueryBackend` (the
CLI's in-process one or the server's worker pool) and caches results per store version;
whole-graph reports come from their precomputed files (:mod:`kg.reports.stored`) when the
store folder has them, other values of their filtered parameters from the same rows
(:mod:`kg.reports.rowfilter`), and are warmed in a background thread when the version changes.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from kg.errors import InvalidParameter
from kg.rdf.iri import IriScheme
from kg.reports.catalog import projected_columns
from kg.reports.crawls import crawl_dates
from kg.reports.definitions import Lookup, Report, Reports
from kg.reports.engines import ENGINES
from kg.reports.engines.base import WHOLE_GRAPH_TIMEOUT_FACTOR, TextIndex
from kg.reports.engines.coauthor_graph import CoauthorGraph
from kg.reports.engines.search import answered_by_index, search_index
from kg.reports.params import Term
from kg.reports.results import Binding, ReportResult, bind, drop_parameter_columns
from kg.reports.rowfilter import StaleTable, StoredTable, picked_rows
from kg.reports.stored import PrecomputedReports, default_substitutions, reports_fingerprint
from kg.store.query import QueryBackend, QueryRequest

#: Whether anything is said about an entity (an author or paper given by name exists).
EXISTS_QUERY = "SELECT ?entity WHERE { ?entity ?p ?o } LIMIT 1"
#: How many names a "did you mean" hint offers.
SUGGESTIONS = 3
#: Rows a lookup reads: more than one term is as good as many (the lookup binds nothing).
LOOKUP_ROWS = 2
#: Lookup answers kept per store version, at most.
LOOKUP_MEMO = 4096


class ReportRunner:
    """Runs reports through a backend, with results cached per store version.

    The same runner serves the CLI (:class:`kg.store.query.LocalBackend`) and the
    server (its worker pool), so both give the same rows.
    """

    def __init__(
        self,
        reports: Reports,
        backend: QueryBackend,
        scheme: IriScheme,
        *,
        max_rows: int = 100_000,
        cache_rows: int = 1_000_000,
        timeout: float | None = None,
        precomputed: PrecomputedReports | None = None,
        warm: bool = False,
        text_index: TextIndex | None = None,
    ):
        self.reports = reports
        self.backend = backend
        self.scheme = scheme
        self.max_rows = max_rows
        self.cache_rows = cache_rows
        self.timeout = timeout
        #: The store folder's precomputed whole-graph reports (None: an external store).
        self.precomputed = precomputed
        #: Warm the whole-graph reports in a background thread whenever the version changes.
        self.warm_on_new_version = warm
        #: The store's full-text index: the search report asks it when it is built for the
        #: current version (kg.reports.engines.search).
        self.text_index = text_index
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[Any, ...], ReportResult] = OrderedDict()
        self._cached_rows = 0
        self._version: str | None = None
        #: Engine state that lives as long as one store version (search index, neighbours).
        self.memo: dict[str, Any] = {}
        self._fingerprint: str | None = None
        self._warming: threading.Thread | None = None
        #: What the last warm-up did, per report: "precomputed", "query" or the error (for tests, logs).
        self.warmed: dict[str, str] = {}
        #: The version the last complete warm-up was for.
        self.warm_version: str | None = None
        self._graph_build = threading.Lock()

    # -- versions and caching

    def version(self) -> str:
        """The backend's data version; a change empties the caches."""
        version = self.backend.version()
        if version != self._version:
            changed = False
            with self._lock:
                if version != self._version:
                    self._cache.clear()
                    self._cached_rows = 0
                    self.memo = {}
                    self._version = version
                    changed = True
            if changed and self.warm_on_new_version:
                self.start_warming()
        return version

    def etag(self, report: Report, binding: Binding, *variant: object) -> str:
        """A strong validator for a representation: store version, report, parameters, variant."""
        digest = hashlib.sha256(
            repr((self.version(), report.name, binding.key(), variant)).encode()
        ).hexdigest()
        return f'"{digest[:32]}"'

    def _cache_get(self, key: tuple[Any, ...]) -> ReportResult | None:
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
            return found

    def _cache_put(self, key: tuple[Any, ...], result: ReportResult) -> None:
        size = max(1, len(result.rows))
        if size > self.cache_rows:
            return
        with self._lock:
            if key in self._cache:
                return
            self._cache[key] = result
            self._cached_rows += size
            while self._cached_rows > self.cache_rows and self._cache:
                _, old = self._cache.popitem(last=False)
                self._cached_rows -= max(1, len(old.rows))

    # -- running

    def bind(self, report: Report, raw: Mapping[str, str]) -> Binding:
        """A request's binding; a parameter with a store default that it leaves out takes
        the store's crawl date (:meth:`crawl_dates`). Raises InvalidParameter."""
        dates = self.crawl_dates() if any(p.store_default for p in report.parameters) else None
        return bind(report, raw, self.scheme, crawl_dates=dates)

    def default_binding(self, report: Report) -> Binding | None:
        """The binding of a request that gives no parameter (store defaults resolved), or
        None when one is required."""
        try:
            return self.bind(report, {})
        except InvalidParameter:
            return None

    def crawl_dates(self) -> tuple[str, ...]:
        """The store's crawl dates (:func:`kg.reports.crawls.crawl_dates`), read once per
        store version (the warm-up reads them first). Raises what the backend raises."""
        self.version()
        memo = self.memo  # a new version gets a new memo: this one is then dropped
        dates = memo.get("crawl-dates")
        if dates is None:
            dates = crawl_dates(self.backend, timeout=self.timeout)
            memo["crawl-dates"] = dates
        assert isinstance(dates, tuple)
        return dates

    def select(
        self, report: Report, substitutions: Mapping[str, Term], *, limit: int | None = -1
    ) -> tuple[tuple[str, ...], list[tuple[Any, ...]], bool]:
        """Run a report's query as it is (or its variant for a parameter given:
        :meth:`~kg.reports.definitions.Report.query_for`): variables, rows (terms) and whether
        rows were cut.

        ``limit`` -1 means the runner's max_rows, None means no cap.
        """
        cap = self.max_rows if limit == -1 else limit
        found = self._stored_table(report)
        if found is not None:
            table, defaults = found
            picked = picked_rows(report, table, defaults, substitutions)
            if picked is not None:
                truncated = cap is not None and len(picked) > cap
                # A substituted variable is projected as its term (the stored rows have the
                # default's: unbound for an optional filter).
                fill = {
                    i: substitutions[v]
                    for i, v in enumerate(table.variables)
                    if v in substitutions and substitutions[v] != defaults.get(v)
                }
                try:
                    rows = table.full_rows(picked[:cap] if truncated else picked, fill)
                    return table.variables, rows, truncated
                except StaleTable:
                    self._forget(f"stored-table:{report.name}", found)
        timeout = self.timeout
        if timeout is not None and report.cost == "whole-graph":
            timeout *= WHOLE_GRAPH_TIMEOUT_FACTOR
        # A report's variant for a parameter the request gives starts from what it names
        # (kg.reports.definitions: same rows as the report's query, without reading it all).
        chosen = self._variant(report, substitutions)
        if chosen is None:  # a lookup found nothing: no row can name it
            return projected_columns(report), [], False
        query, given, looked_up = chosen
        outcome = self.backend.run(
            QueryRequest(query, substitutions=given, limit=cap), timeout=timeout
        )
        if outcome.select is None:
            return (), [], False
        variables, rows = outcome.select.variables, outcome.select.rows
        if looked_up is not None and looked_up in variables:
            # The looked-up variable is projected only so that it can be bound (pyoxigraph).
            keep = [i for i, name in enumerate(variables) if name != looked_up]
            variables = tuple(variables[i] for i in keep)
            rows = [tuple(row[i] for i in keep) for row in rows]
        return variables, rows, outcome.truncated

    def _variant(
        self, report: Report, substitutions: Mapping[str, Term]
    ) -> tuple[str, dict[str, Term], str | None] | None:
        """The query a request sends, its bindings and the variable a lookup bound: the first
        variant whose parameter the request gives, or whose lookup finds exactly one term for
        its variable (:class:`~kg.reports.definitions.Lookup`), else the report's own query.
        None when a lookup finds no term: the answer has no rows."""
        for variant, lookup in report.candidates(substitutions):
            if lookup is None:
                return variant.query, dict(substitutions), None
            terms = self._looked_up(report, lookup, substitutions[lookup.parameter])
            if terms == ():
                return None
            if terms is not None:
                bound = {**substitutions, lookup.variable: terms[0]}
                return variant.query, bound, lookup.variable
        return report.query, dict(substitutions), None

    def _looked_up(self, report: Report, lookup: Lookup, value: Term) -> tuple[Term, ...] | None:
        """What the lookup's query answers for ``value``: no term ``()``, one ``(term,)``, or
        None for several (or a term that cannot be bound: a blank node, an unbound cell; or an
        answer without the variable); kept for the store version."""
        self.version()
        memo = self.memo  # a new version gets a new memo: this one is then dropped
        found = memo.setdefault("lookups", {})
        key = (report.name, lookup.variable, value)
        if key not in found:
            outcome = self.backend.run(
                QueryRequest(
                    lookup.query, substitutions={lookup.parameter: value}, limit=LOOKUP_ROWS
                ),
                timeout=self.timeout,
            )
            answer: tuple[Term, ...] | None = None  # an answer without the column: unknown
            if outcome.select is not None and lookup.variable in outcome.select.variables:
                column = outcome.select.variables.index(lookup.variable)
                terms = {row[column] for row in outcome.select.rows}
                usable = all(isinstance(term, Term) for term in terms)
                if len(terms) < 2 and usable and not outcome.truncated:
                    answer = tuple(terms)
            if len(found) >= LOOKUP_MEMO:
                found.clear()  # any client may send new names: keep the memo bounded
            found[key] = answer
        result: tuple[Term, ...] | None = found[key]
        return result

    def run(self, report: Report, binding: Binding) -> ReportResult:
        """The report's result for these parameters (from the cache when the store has not changed)."""
        if binding.unresolved:
            # A crawl date the store does not have (one crawl: none before it): nothing to
            # compare, and the query with it unbound would answer another question.
            hidden = {p.name for p in report.sparql_parameters}
            columns = tuple(c for c in projected_columns(report) if c not in hidden)
            return ReportResult(columns, [], notes=binding.notes, cacheable=False)
        key = (self.version(), report.name, binding.key())
        cached = self._cache_get(key)
        result = cached if cached is not None else self._compute(key, report, binding)
        if binding.notes:
            # Not cached with the rows: a request that gives the same dates gets no such note.
            result = replace(result, notes=(*binding.notes, *result.notes))
        if not result.rows and binding.names:
            # Not cached with the rows: the hint quotes the name as this request wrote it.
            hints = self.unknown_names(report, binding)
            if hints:
                result = replace(result, notes=(*hints, *result.notes))
        return result

    def _compute(self, key: tuple[Any, ...], report: Report, binding: Binding) -> ReportResult:
        stored = self._precomputed_result(report, binding) if report.engine is not None else None
        engine = ENGINES.get(report.engine) if report.engine is not None else None
        if stored is None and engine is not None and engine.answers_query_rows:
            # Its query's rows, stored uncut: the default binding's and the row filters'.
            stored = self._stored_answer(report, binding)
        if stored is None and engine is not None and report.row_filters:
            stored = self._filtered_result(report, binding)
        if stored is not None:
            result = stored
        elif report.engine is not None:
            result = ENGINES[report.engine].run(self, report, binding)
        else:
            answer = self._stored_answer(report, binding)
            result = answer if answer is not None else self._queried_answer(report, binding)
        if result.cacheable:
            self._cache_put(key, result)
        return result

    def _queried_answer(self, report: Report, binding: Binding) -> ReportResult:
        variables, rows, truncated = self.select(report, binding.substitutions(report))
        return drop_parameter_columns(report, variables, rows, truncated)

    def _stored_answer(self, report: Report, binding: Binding) -> ReportResult | None:
        """A whole-graph report's answer from its default binding's stored rows (a plain
        report's, or an engine's that ``answers_query_rows``): all
        of them for the default binding, those its row filters pick for another
        (:mod:`kg.reports.rowfilter`); None when they cannot give it (the query runs)."""
        found = self._stored_table(report)
        if found is None:
            return None
        table, defaults = found
        return self._picked_answer(
            report, table, defaults, binding, forget=(f"stored-table:{report.name}", found)
        )

    def unknown_names(self, report: Report, binding: Binding) -> list[str]:
        """For each author or paper given by a name that no entity has: "no author named X;
        did you mean A, B?" with the closest names or titles of the search report."""
        hints = []
        for name, text in sorted(binding.names.items()):
            param = report.parameter(name)
            term = binding.terms.get(name)
            if param is None or term is None or self._exists(term):
                continue
            suggestions = self._suggest(text, param.type)
            hint = f"no {param.type} {'titled' if param.type == 'paper' else 'named'} {text!r}"
            if suggestions:
                hint += "; did you mean " + ", ".join(repr(s) for s in suggestions) + "?"
            hints.append(hint)
        return hints

    def _exists(self, term: Term) -> bool:
        outcome = self.backend.run(
            QueryRequest(EXISTS_QUERY, substitutions={"entity": term}, limit=1),
            timeout=self.timeout,
        )
        return bool(outcome.rows)

    def _suggest(self, text: str, kind: str) -> list[str]:
        """The closest labels of that kind (the search report's fuzzy ranking), if installed."""
        if "search" not in self.reports:
            return []
        found = self.run_named("search", {"q": text, "kind": kind})
        if "label" not in found.columns:
            return []
        at = found.columns.index("label")
        labels: list[str] = []
        for row in found.rows:
            label = row[at]
            if label is not None and str(label.value) not in labels:
                labels.append(str(label.value))
            if len(labels) == SUGGESTIONS:
                break
        return labels

    def run_named(self, name: str, params: Mapping[str, str]) -> ReportResult:
        """Run another report by name with raw parameter values (engines compose reports)."""
        report = self.reports.get_report(name)
        return self.run(report, self.bind(report, params))

    # -- precomputed whole-graph reports (kg.reports.precompute) and warming

    def _stored_table(self, report: Report) -> tuple[StoredTable, dict[str, Term]] | None:
        """The current version's stored rows of a whole-graph report's default binding, with
        the substitutions they were computed for (read once per version, and again when the
        file changed under it: :class:`~kg.reports.rowfilter.StoredTable`); None when there is no file that
        checks out (:meth:`kg.reports.stored.PrecomputedReports.table`)."""
        if self.precomputed is None or report.cost != "whole-graph":
            return None
        version = self.version()
        memo = self.memo  # a new version gets a new memo: this one is then dropped
        key = f"stored-table:{report.name}"
        if key not in memo:
            dates = self.crawl_dates() if any(p.store_default for p in report.parameters) else None
            defaults = default_substitutions(report, self.scheme, dates)
            table = None
            if defaults is not None:
                table = self.precomputed.table(
                    version,
                    report,
                    defaults,
                    hidden={p.name for p in report.sparql_parameters},
                    head=self.max_rows,
                )
            if table is None:
                # Not kept: a precompute may write the file while this version is served.
                return None
            memo[key] = (table, defaults)
        found = memo[key]
        assert isinstance(found, tuple)
        return found

    def _precomputed_result(self, report: Report, binding: Binding) -> ReportResult | None:
        if self.precomputed is None or report.cost != "whole-graph":
            return None
        if self._fingerprint is None:
            self._fingerprint = reports_fingerprint(self.reports)
        return self.precomputed.result(
            self.version(), report, binding, fingerprint=self._fingerprint, max_rows=self.max_rows
        )

    def _filtered_result(self, report: Report, binding: Binding) -> ReportResult | None:
        """An engine report's answer from its default binding's stored result, the rows its
        row filters pick (:mod:`kg.reports.rowfilter`), when that result holds every row;
        None otherwise (the engine runs)."""
        if self.precomputed is None or report.cost != "whole-graph":
            return None
        version = self.version()
        memo = self.memo
        key = f"stored-result:{report.name}"
        if key not in memo:
            if self._fingerprint is None:
                self._fingerprint = reports_fingerprint(self.reports)
            default = self.default_binding(report)
            found = None
            if default is not None and not default.unresolved:
                found = self.precomputed.result_table(
                    version,
                    report,
                    default,
                    fingerprint=self._fingerprint,
                    max_rows=self.max_rows,
                )
            if found is None or default is None:
                return None  # not kept: a precompute may write the file meanwhile
            memo[key] = (*found, default)
        entry = memo[key]
        table, notes, default = entry
        if any(
            binding.values.get(p.name) != default.values.get(p.name)
            for p in report.parameters
            if p.engine
        ):
            return None  # the engine reads these: the stored rows are for the default's
        return self._picked_answer(
            report, table, default.substitutions(report), binding, forget=(key, entry), notes=notes
        )

    def _picked_answer(
        self,
        report: Report,
        table: StoredTable,
        defaults: Mapping[str, Term],
        binding: Binding,
        *,
        forget: tuple[str, Any],
        notes: Sequence[str] = (),
    ) -> ReportResult | None:
        """The stored rows ``table``'s row filters pick for ``binding`` (up to the row cap);
        None when the filters cannot pick them or the file changed under the table (which is
        then dropped: ``forget``, its memo key and entry)."""
        picked = picked_rows(report, table, defaults, binding.substitutions(report))
        if picked is None:
            return None
        truncated = len(picked) > self.max_rows
        try:
            rows = table.answer_rows(picked[: self.max_rows] if truncated else picked)
        except StaleTable:
            self._forget(*forget)
            return None
        return ReportResult(table.columns, rows, truncated, tuple(notes))

    def _forget(self, key: str, entry: Any) -> None:
        """Drop a stored table whose file changed under it (cut short or overwritten in
        place: :class:`~kg.reports.rowfilter.StaleTable`); the next request looks for the
        file again, and runs the query until one checks out. The table is not closed here:
        another thread may be reading it (it closes its file when it is collected)."""
        memo = self.memo
        if memo.get(key) is entry:
            memo.pop(key, None)

    def whole_graph_warmups(self) -> list[Report]:
        """What warming runs: each whole-graph report, with its default binding (:meth:`warm`
        makes it, crawl dates resolved; none: the report needs a parameter, and only its
        engine's whole-graph input is prepared)."""
        return [report for report in self.reports.values() if report.cost == "whole-graph"]

    def warm(self, version: str | None = None) -> dict[str, str]:
        """Fill the cache with the whole-graph reports of the current version.

        Each comes from its precomputed file when there is one, else from its query.
        Before them, the co-author graph of the collaboration-path report is built (a
        build that fails is noted under that report's name). Stops as soon as the store
        moves on to another version. Never raises: a report that fails is noted and left
        for a request to run (and report) itself.
        """
        version = version or self.version()
        done: dict[str, str] = {}
        if "collaboration-path" in self.reports:
            # First, as it takes a few seconds and spares every collaboration path ~100-500 queries.
            try:
                self.build_coauthor_graph()
            except Exception as error:
                done["collaboration-path"] = f"co-author graph: {type(error).__name__}: {error}"
        for report in self.whole_graph_warmups():
            if self.version() != version:
                break
            try:
                # A store default (a crawl date) is read here, once per version, for them all.
                binding = self.default_binding(report)
                source = (
                    "precomputed" if self._has_precomputed(version, report, binding) else "query"
                )
                if binding is not None and binding.unresolved:
                    done[report.name] = "no crawl date for " + ", ".join(binding.unresolved)
                elif binding is not None:
                    # Already there when an engine ran it (the ambiguity engine, top authors).
                    if self._cache_get((version, report.name, binding.key())) is None:
                        self.run(report, binding)
                    done[report.name] = source
                    if report.row_filters:
                        # Its filtered requests then only look their rows up.
                        self.prepare_row_filters(report)
                elif report.engine == "search":
                    index = answered_by_index(self)
                    if index is not None:
                        # Its first search would otherwise read the index from disk.
                        index.prefetch()
                        done[report.name] = "search index"
                    else:
                        search_index(self, report)
                        done[report.name] = source
            except Exception as error:
                done[report.name] = f"{type(error).__name__}: {error}"
        self.warmed = done
        if self.version() == version:
            self.warm_version = version
            self._prepare_engines(version)
        return done

    def _prepare_engines(self, version: str) -> None:
        """Once the reports are warm (the server is ready), let engines read ahead what
        every request of this store version would read first (:attr:`Engine.prepare`).
        Never raises: a request then reads it itself."""
        for report in self.reports.values():
            engine = ENGINES.get(report.engine) if report.engine is not None else None
            if engine is None or engine.prepare is None or self.version() != version:
                continue
            try:
                engine.prepare(self, report)
            except Exception:  # a request reads it then, and reports the error
                continue

    def prepare_row_filters(self, report: Report) -> None:
        """Read the stored default answer a report's row filters pick from (its filtered
        columns are indexed as it is read: :class:`kg.reports.rowfilter.StoredTable`)."""
        if self._stored_table(report) is None and report.engine is not None:
            binding = self.default_binding(report)
            if binding is not None:
                self._filtered_result(report, binding)

    def is_warm(self) -> bool:
        """Whether a warm-up finished for the current version (a readiness signal: /healthz)."""
        return self.warm_version is not None and self.warm_version == self.version()

    def coauthor_graph(self) -> CoauthorGraph | None:
        """The current version's in-memory co-author graph, None until it has been built."""
        graph = self.memo.get("coauthor-graph")
        if isinstance(graph, CoauthorGraph) and graph.version == self.version():
            return graph
        return None

    def build_coauthor_graph(self) -> CoauthorGraph:
        """Build the current version's co-author graph (one whole-graph query; seconds at
        100k papers, minutes at 1M; read from its precomputed file when ``kg precompute``
        wrote one for this version) and keep it for that version. Warming calls this; requests never
        wait for it: until it is there, collaboration paths are searched by queries.
        Raises what the backend raises."""
        with self._graph_build:
            graph = self.coauthor_graph()
            if graph is not None:
                return graph
            version = self.version()
            stored = (
                self.precomputed.coauthor_graph(version) if self.precomputed is not None else None
            )
            if stored is not None:
                graph = stored
            else:
                timeout = (
                    None if self.timeout is None else self.timeout * WHOLE_GRAPH_TIMEOUT_FACTOR
                )
                graph = CoauthorGraph.from_backend(self.backend, timeout=timeout)
            # A graph read while the store moved on carries the older version: coauthor_graph()
            # never hands it out, and the warm-up of the new version builds another.
            if graph.version == self.version():
                self.memo["coauthor-graph"] = graph
            return graph

    def _has_precomputed(self, version: str, report: Report, binding: Binding | None) -> bool:
        """Whether a precomputed file is there (it may still be found stale when read)."""
        if self.precomputed is None:
            return False
        kind = "result" if report.engine is not None and binding is not None else "rows"
        path = self.precomputed.path(version, report.name, kind)
        return path is not None and path.is_file()

    def start_warming(self) -> threading.Thread | None:
        """Warm the whole-graph reports in a daemon thread (one at a time); requests never wait for it."""
        with self._lock:
            if self._warming is not None and self._warming.is_alive():
                # It stops at the next report when it sees the new version; then warm again.
                previous = self._warming
            else:
                previous = None
            thread = threading.Thread(
                target=self._warm_after, args=(previous,), daemon=True, name="kg-report-warmup"
            )
            self._warming = thread
        thread.start()
        return thread

    def _warm_after(self, previous: threading.Thread | None) -> None:
        if previous is not None:
            previous.join()
        self.warm()
