/*
 * charts.js: draw Chart.js charts and Cytoscape graphs from JSON data islands.
 *
 * CSP-safe (no inline script, no eval): the page embeds its data as
 *   <script type="application/json" id="ID">{{ spec|tojson }}</script>
 * and marks where to draw with a data attribute naming that island. Include,
 * in {% block scripts %} of a template extending base.html:
 *
 *   {% if vendor.chart %}<script src="{{ url_for('static', filename='vendor/chart.umd.min.js') }}" defer></script>{% endif %}
 *   {% if vendor.cytoscape %}<script src="{{ url_for('static', filename='vendor/cytoscape.min.js') }}" defer></script>{% endif %}
 *   <script src="{{ url_for('static', filename='charts.js') }}" defer></script>
 *
 * (server.pages.vendor_available("chart") / ("cytoscape") say whether the files
 * are installed; including the tags unconditionally only costs a 404.)
 *
 * ---- A chart --------------------------------------------------------------------
 *   <div class="chart-box" data-kg-chart="timeline-data"></div>
 *   <table class="results chart-fallback">... the same numbers ...</table>
 *   <script type="application/json" id="timeline-data">{{ chart|tojson }}</script>
 *
 * Spec (Python dict -> |tojson):
 *   { "type": "bar" | "line" | "pie" | "doughnut" | "horizontalBar",
 *     "title": "Papers per year",                 // also the canvas's aria-label
 *     "labels": ["2021", "2022", ...],
 *     "datasets": [ {"label": "papers", "data": [3, 5, ...]}, ... ],
 *     "stacked": false,                           // bar/line: stack the datasets
 *     "xTitle": "year", "yTitle": "papers",       // optional axis titles
 *     "integer": true,                            // optional: whole-number ticks
 *     "xLinear": true }                           // optional: labels are numbers (years) on a
 *                                                 // linear axis, so missing years keep their place
 *
 * ---- A graph --------------------------------------------------------------------
 *   <div class="graph-box" data-kg-graph="coauthors-data"></div>
 *   <table class="results graph-fallback">... the edges ...</table>
 *   <script type="application/json" id="coauthors-data">{{ graph|tojson }}</script>
 *
 * Spec:
 *   { "nodes": [ {"id": "a1", "label": "Weiran Huang", "href": "/author/...",
 *                 "group": "focus" | any string, "size": 1..} ],
 *     "edges": [ {"source": "a1", "target": "a2", "weight": 3, "label": "3 papers"} ],
 *     "layout": "cose" | "concentric" | "circle" | "breadthfirst" | "grid",  // default cose
 *     "focus": "a1" }                             // optional: drawn larger, centred
 * "links" is accepted for "edges" (d3 style), and Cytoscape's own
 * {"elements": [{"data": {...}}, ...]} too. Clicking a node with an http(s) or
 * site-relative "href" opens it.
 *
 * ---- What happens ----------------------------------------------------------------
 * On DOMContentLoaded every [data-kg-chart] / [data-kg-graph] element is drawn
 * and gets data-drawn="true" (kg.css then visually hides the following
 * .chart-fallback / .graph-fallback sibling, which stays readable by screen
 * readers). Without the library the element gets data-drawn="unavailable" and
 * the fallback table stays visible; on a bad spec, data-drawn="error".
 * Graph elements also get data-nodes / data-edges counts (handy in tests).
 *
 * JavaScript API (window.KGCharts), for pages that build specs later:
 *   KGCharts.readIsland(id)          -> parsed JSON or null
 *   KGCharts.drawChart(element, spec) -> the Chart instance (or null)
 *   KGCharts.drawGraph(element, spec) -> the Cytoscape instance (or null)
 *   KGCharts.init(root = document)   -> draws every marked element under root
 */
(function () {
  "use strict";

  var PALETTE = ["#1f5fa8", "#d9822b", "#2e8b57", "#a33ea1", "#c23b22", "#3a9fbf", "#8c6d1f", "#5b6475"];

  function readIsland(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try {
      return JSON.parse(el.textContent || "null");
    } catch (err) {
      if (window.console) window.console.error("charts.js: island #" + id + " is not JSON", err);
      return null;
    }
  }

  function safeHref(href) {
    if (typeof href !== "string" || !href) return null;
    if (/^https?:\/\//i.test(href)) return href;
    if (href.charAt(0) === "/" && href.charAt(1) !== "/") return href;
    return null;
  }

  function mark(element, state) { element.setAttribute("data-drawn", state); }

  // ---- charts ----------------------------------------------------------------------

  function drawChart(element, spec) {
    var Chart = window.Chart;
    if (typeof Chart !== "function") { mark(element, "unavailable"); return null; }
    if (!spec || !Array.isArray(spec.datasets)) { mark(element, "error"); return null; }
    var type = spec.type || "bar";
    var horizontal = type === "horizontalBar";
    if (horizontal) type = "bar";
    var round = type === "pie" || type === "doughnut";
    var linear = !!spec.xLinear && !round && !horizontal;
    var labels = spec.labels || [];
    var datasets = spec.datasets.map(function (dataset, index) {
      var colour = PALETTE[index % PALETTE.length];
      var data = dataset.data || [];
      if (linear) {
        // {x, y} points: the x scale places each year by its value, not by its rank.
        data = data.map(function (value, i) { return { x: Number(labels[i]), y: value }; })
          .filter(function (point) { return isFinite(point.x); });
      }
      var out = { label: String(dataset.label || ""), data: data };
      if (round) {
        out.backgroundColor = (dataset.data || []).map(function (_, i) { return PALETTE[i % PALETTE.length]; });
      } else {
        out.backgroundColor = type === "line" ? colour + "33" : colour;
        out.borderColor = colour;
        out.borderWidth = type === "line" ? 2 : 1;
        out.fill = type === "line" && !!spec.stacked;
        out.tension = 0.2;
      }
      return out;
    });
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", spec.title || "chart");
    while (element.firstChild) element.removeChild(element.firstChild);
    element.appendChild(canvas);
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        title: { display: !!spec.title, text: spec.title || "" },
        legend: { display: round || datasets.length > 1 }
      }
    };
    if (!round) {
      var ticks = spec.integer ? { precision: 0 } : {};
      options.indexAxis = horizontal ? "y" : "x";
      options.scales = {
        x: { stacked: !!spec.stacked, title: { display: !!spec.xTitle, text: spec.xTitle || "" } },
        y: { stacked: !!spec.stacked, beginAtZero: true, ticks: ticks,
             title: { display: !!spec.yTitle, text: spec.yTitle || "" } }
      };
      if (linear) {
        var xs = labels.map(Number).filter(isFinite);
        options.scales.x.type = "linear";
        options.scales.x.offset = type === "bar";
        options.scales.x.min = Math.min.apply(null, xs);
        options.scales.x.max = Math.max.apply(null, xs);
        // One tick per year, written as a year ("2020", not "2,020").
        options.scales.x.ticks = { stepSize: 1, precision: 0, callback: function (value) { return String(value); } };
      }
      if (horizontal) {
        options.scales.x.ticks = ticks;
        options.scales.x.beginAtZero = true;
        delete options.scales.y.ticks;
      }
    }
    try {
      var data = linear ? { datasets: datasets } : { labels: labels, datasets: datasets };
      var chart = new Chart(canvas, { type: type, data: data, options: options });
      mark(element, "true");
      return chart;
    } catch (err) {
      if (window.console) window.console.error("charts.js: chart failed", err);
      mark(element, "error");
      return null;
    }
  }

  // ---- graphs ----------------------------------------------------------------------

  //: Most names written on a graph: the focus and the people with most shared papers. The
  //: others are dots (their names are in the table beside the graph) so that names never overlap.
  var MAX_LABELS = 16;

  function graphElements(spec) {
    if (Array.isArray(spec.elements)) return spec.elements;
    var elements = [];
    var ranked = (spec.nodes || []).slice().sort(function (a, b) {
      return (Number(b.size) || 1) - (Number(a.size) || 1);
    });
    var named = {};
    if (spec.focus != null) named[String(spec.focus)] = true;
    ranked.forEach(function (node) {
      if (Object.keys(named).length < MAX_LABELS) named[String(node.id)] = true;
    });
    var groups = {};
    var ids = {};
    (spec.nodes || []).forEach(function (node) {
      var id = String(node.id);
      ids[id] = true;
      var group = node.group ? String(node.group) : "";
      if (!(group in groups)) groups[group] = Object.keys(groups).length;
      elements.push({
        group: "nodes",
        data: {
          id: id,
          label: String(node.label != null ? node.label : id),
          shown: named[id] ? String(node.label != null ? node.label : id) : "",
          href: safeHref(node.href) || undefined,
          size: Math.max(1, Number(node.size) || 1),
          colour: id === String(spec.focus) ? "#c23b22" : PALETTE[groups[group] % PALETTE.length]
        },
        classes: id === String(spec.focus) ? "focus" : ""
      });
    });
    (spec.edges || spec.links || []).forEach(function (edge, index) {
      var source = String(edge.source), target = String(edge.target);
      if (!ids[source] || !ids[target]) return;  // dangling edges would make Cytoscape throw
      elements.push({
        group: "edges",
        data: {
          id: "e" + index,
          source: source,
          target: target,
          weight: Math.max(1, Number(edge.weight) || 1),
          label: edge.label != null ? String(edge.label) : ""
        }
      });
    });
    return elements;
  }

  // The layout spaces labelled nodes but cannot promise it: where two names still overlap,
  // the one with fewer shared papers is left unwritten (the table beside the graph has it).
  function hideCrowdedLabels(cy) {
    var kept = [];
    var named = cy.nodes().filter(function (node) { return !!node.data("shown"); })
      .sort(function (a, b) {
        if (a.hasClass("focus") !== b.hasClass("focus")) return a.hasClass("focus") ? -1 : 1;
        return (b.data("size") || 1) - (a.data("size") || 1);
      });
    named.forEach(function (node) {
      var box = node.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true });
      var clash = kept.some(function (other) {
        return box.x1 < other.x2 && other.x1 < box.x2 && box.y1 < other.y2 && other.y1 < box.y2;
      });
      if (clash) node.data("shown", "");
      else kept.push(box);
    });
  }

  function drawGraph(element, spec) {
    var cytoscape = window.cytoscape;
    if (typeof cytoscape !== "function") { mark(element, "unavailable"); return null; }
    if (!spec) { mark(element, "error"); return null; }
    try {
      var elements = graphElements(spec);
      var layoutName = spec.layout || "cose";
      // Labels count as part of a node when spacing nodes, so that no two labels overlap.
      var layout = { name: layoutName, animate: false, fit: true, padding: 24,
                     nodeDimensionsIncludeLabels: true };
      if (layoutName === "cose") {
        layout.randomize = false;
        layout.nodeRepulsion = function () { return 400000; };
        layout.idealEdgeLength = function () { return 120; };
        layout.nodeOverlap = 40;
        layout.componentSpacing = 120;
      }
      if (layoutName === "concentric") {
        // The focus in the middle, then rings of people by how much they share with it.
        layout.concentric = function (node) {
          return node.id() === String(spec.focus) ? 1000 : Number(node.data("size")) || 1;
        };
        layout.levelWidth = function () { return 2; };
        layout.avoidOverlap = true;
        layout.minNodeSpacing = 4;
      }
      var cy = cytoscape({
        container: element,
        elements: elements,
        layout: layout,
        wheelSensitivity: 0.3,
        style: [
          { selector: "node", style: {
              "background-color": "data(colour)", "label": "data(shown)", "font-size": 16,
              "color": "#1d2330", "text-valign": "bottom", "text-margin-y": 3,
              "width": "mapData(size, 1, 20, 14, 44)", "height": "mapData(size, 1, 20, 14, 44)",
              "text-wrap": "ellipsis", "text-max-width": 120 } },
          { selector: "node.focus", style: { "font-weight": "bold", "font-size": 18, "border-width": 3, "border-color": "#16263d" } },
          { selector: "node[href]", style: { "cursor": "pointer" } },
          { selector: "edge", style: {
              "width": "mapData(weight, 1, 10, 1, 6)", "line-color": "#9aa5b8", "curve-style": "haystack",
              "opacity": 0.8 } },
          { selector: "edge[label != '']", style: { "label": "data(label)", "font-size": 9, "color": "#5b6475" } }
        ]
      });
      hideCrowdedLabels(cy);
      element.kgGraph = cy;  // for tests and other scripts on the page
      cy.on("tap", "node", function (event) {
        var href = event.target.data("href");
        if (href) window.location.assign(href);
      });
      element.setAttribute("data-nodes", String(cy.nodes().length));
      element.setAttribute("data-edges", String(cy.edges().length));
      element.setAttribute("role", "img");
      if (!element.getAttribute("aria-label")) {
        element.setAttribute("aria-label", spec.title || "graph of " + cy.nodes().length + " nodes");
      }
      mark(element, "true");
      return cy;
    } catch (err) {
      if (window.console) window.console.error("charts.js: graph failed", err);
      mark(element, "error");
      return null;
    }
  }

  function init(root) {
    var scope = root || document;
    Array.prototype.forEach.call(scope.querySelectorAll("[data-kg-chart]"), function (element) {
      if (element.getAttribute("data-drawn") === "true") return;
      drawChart(element, readIsland(element.getAttribute("data-kg-chart")));
    });
    Array.prototype.forEach.call(scope.querySelectorAll("[data-kg-graph]"), function (element) {
      if (element.getAttribute("data-drawn") === "true") return;
      drawGraph(element, readIsland(element.getAttribute("data-kg-graph")));
    });
  }

  window.KGCharts = { readIsland: readIsland, drawChart: drawChart, drawGraph: drawGraph, init: init };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
