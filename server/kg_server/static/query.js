/*
 * The query page (server/templates/query.html): mounts YASGUI into #yasgui.
 *
 * Configuration comes from the JSON data island #query-config (the CSP allows no
 * inline script): endpoint, method, query, run, prefixes, examples, formats.
 * YASGUI is configured to work offline: no prefix.cc lookups (bundled prefixes
 * only), no Linked Open Vocabularies class/property autocompletion, no CORS
 * proxy, no endpoint catalogue but ours, no localStorage persistence (the page
 * opens on the query its URL asks for).
 *
 * Without window.Yasgui (vendor files not installed) or without JavaScript, the
 * plain form stays and POSTs to / (progressive enhancement).
 *
 * #yasgui carries data-state for tests and assistive tech:
 *   loading -> ready -> querying -> done | error   ("unavailable" without YASGUI)
 */
(function () {
  "use strict";

  var configEl = document.getElementById("query-config");
  var mount = document.getElementById("yasgui");
  var app = document.getElementById("query-app");
  if (!configEl || !mount || !app) return;
  var config;
  try {
    config = JSON.parse(configEl.textContent || "{}");
  } catch (err) {
    return;
  }
  var Yasgui = window.Yasgui;
  if (typeof Yasgui !== "function") {
    mount.setAttribute("data-state", "unavailable");
    return;
  }

  var endpoint = new URL(config.endpoint || "/sparql", window.location.href).href;
  var examples = {};
  (config.examples || []).forEach(function (example) { examples[example.name] = example; });

  // Offline: YASQE's default autocompleters include "class" and "property",
  // which ask lov.linkeddata.es; keep only the local ones. (Yasgui merges
  // arrays index by index, so the defaults must be replaced, not merged.)
  var yasqeDefaults = (Yasgui.Yasqe && Yasgui.Yasqe.defaults) || Yasgui.defaults.yasqe;
  yasqeDefaults.autocompleters = ["variables", "prefixes"];
  yasqeDefaults.prefixCcApi = null;
  Yasgui.defaults.yasqe = yasqeDefaults;
  Yasgui.defaults.corsProxy = undefined;

  // Our endpoint answers errors as application/problem+json: show its title and
  // detail instead of the raw JSON (text only, never HTML from the response).
  function problemRenderer(error) {
    var problem = null;
    try { problem = JSON.parse((error && error.text) || ""); } catch (err) { problem = null; }
    if (!problem || typeof problem !== "object" || !(problem.title || problem.detail)) return Promise.resolve(undefined);
    var box = document.createElement("div");
    box.className = "notice error";
    box.setAttribute("role", "alert");
    var title = document.createElement("strong");
    title.textContent = String(problem.title || "Error");
    box.appendChild(title);
    if (problem.status) box.appendChild(document.createTextNode(" (" + String(problem.status) + ")"));
    if (problem.detail) {
      box.appendChild(document.createTextNode(": "));
      var detail = document.createElement("span");
      detail.className = "error-detail";
      detail.textContent = String(problem.detail);
      box.appendChild(detail);
    }
    return Promise.resolve(box);
  }
  if (Yasgui.Yasr && Yasgui.Yasr.defaults) {
    Yasgui.Yasr.defaults.errorRenderers = [problemRenderer].concat(Yasgui.Yasr.defaults.errorRenderers || []);
  }

  var requestConfig = {
    endpoint: endpoint,
    method: config.method || "POST",
    acceptHeaderSelect: "application/sparql-results+json",
    acceptHeaderGraph: "text/turtle",
    acceptHeaderUpdate: "text/plain",
    namedGraphs: [],
    defaultGraphs: [],
    args: [],
    headers: {}
  };
  Yasgui.defaults.requestConfig = requestConfig;

  var yasgui;
  try {
    yasgui = new Yasgui(mount, {
      requestConfig: requestConfig,
      corsProxy: undefined,
      persistenceId: null,
      populateFromUrl: false,
      autofocus: false,
      copyEndpointOnNewTab: true,
      endpointCatalogueOptions: {
        getData: function () { return [{ endpoint: endpoint }]; },
        keys: []
      },
      yasqe: {
        value: config.query || "",
        autocompleters: ["variables", "prefixes"],
        prefixCcApi: null,
        editorHeight: "360px",
        collapsePrefixesOnLoad: true,
        persistenceId: null
      },
      yasr: {
        prefixes: config.prefixes || {},
        defaultPlugin: "table",
        persistenceId: null
      }
    });
  } catch (err) {
    mount.setAttribute("data-state", "unavailable");
    if (window.console) window.console.error("YASGUI failed to start; the plain form stays", err);
    return;
  }

  app.classList.add("js-enhanced");

  function tab() { return yasgui.getTab(); }
  function editor() { var t = tab(); return t && t.getYasqe ? t.getYasqe() : null; }
  function currentQuery() { var y = editor(); return y ? y.getValue() : (config.query || ""); }

  // The download links follow the editor's query.
  var downloads = document.getElementById("downloads");
  function queryForm(text) {
    var match = /^\s*(?:(?:PREFIX|BASE)\b[^\n]*\n|#[^\n]*\n|\s+)*\s*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b/i.exec(text);
    return match ? match[1].toUpperCase() : "SELECT";
  }
  function updateDownloads() {
    if (!downloads) return;
    var text = currentQuery();
    var formats = /^(CONSTRUCT|DESCRIBE)$/.test(queryForm(text)) ? config.graphFormats : config.resultFormats;
    while (downloads.firstChild) downloads.removeChild(downloads.firstChild);
    var label = document.createElement("span");
    var tooLong = text.length > (config.maxLinkQuery || 6000);
    label.textContent = tooLong ? "Download (query too long for links; use the table's download button)" : "Download:";
    downloads.appendChild(label);
    if (tooLong) return;
    (formats || []).forEach(function (format) {
      var link = document.createElement("a");
      var params = new URLSearchParams();
      params.set("query", text);
      params.set("format", format.key);
      link.href = (config.endpoint || "/sparql") + "?" + params.toString();
      link.rel = "nofollow";
      link.setAttribute("data-format", format.key);
      link.textContent = format.label;
      downloads.appendChild(link);
    });
  }

  function setState(state) { mount.setAttribute("data-state", state); }

  function shareUrl(text, run) {
    if (!window.history || !window.history.replaceState) return;
    if (text.length > (config.maxLinkQuery || 6000)) return;
    var params = new URLSearchParams();
    params.set("query", text);
    if (run) params.set("run", "1");
    window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
  }

  yasgui.on("query", function () {
    setState("querying");
    var stale = document.getElementById("server-results");
    if (stale && stale.parentNode) stale.parentNode.removeChild(stale);
    shareUrl(currentQuery(), true);
  });
  yasgui.on("queryResponse", function (instance, t) {
    var y = t && t.getYasr ? t.getYasr() : null;
    var failed = y && y.results && y.results.getError && y.results.getError();
    setState(failed ? "error" : "done");
  });
  yasgui.on("tabChange", updateDownloads);
  yasgui.on("tabSelect", function () { window.setTimeout(updateDownloads, 0); });

  // Fold the PREFIX block so the query itself is in view (click the gutter to unfold).
  function foldPrefixes(ed) {
    if (ed && typeof ed.collapsePrefixes === "function") {
      try { ed.collapsePrefixes(true); } catch (err) { /* nothing to fold */ }
    }
  }
  var y = editor();
  if (y) {
    if (y.getValue() !== (config.query || "")) y.setValue(config.query || "");
    foldPrefixes(y);
    y.on("change", updateDownloads);
  }
  updateDownloads();

  // Examples load into the editor (and run) instead of reloading the page.
  function loadExample(name, run) {
    var example = examples[name];
    var ed = editor();
    if (!example || !ed) return false;
    ed.setValue(example.query);
    foldPrefixes(ed);
    shareUrl(example.query, false);
    updateDownloads();
    if (run) ed.query().catch(function () { setState("error"); });
    return true;
  }
  var list = document.getElementById("examples");
  if (list) {
    list.addEventListener("click", function (event) {
      var link = event.target && event.target.closest ? event.target.closest("a[data-example]") : null;
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      if (!loadExample(link.getAttribute("data-example"), true)) return;
      event.preventDefault();
      Array.prototype.forEach.call(list.querySelectorAll("a[aria-current]"), function (a) {
        a.removeAttribute("aria-current");
      });
      link.setAttribute("aria-current", "true");
    });
  }
  // Canned report queries: their parameters are unbound, so load without running.
  var reportForm = document.getElementById("report-examples");
  if (reportForm) {
    reportForm.addEventListener("submit", function (event) {
      var select = reportForm.querySelector("select");
      if (select && loadExample(select.value, false)) event.preventDefault();
    });
  }

  setState("ready");
  if (config.run && y) {
    y.query().catch(function () { setState("error"); });
  }
})();
