// Autocomplete for the search box and for report form fields that name an author,
// a paper or an organization. Suggestions come from /search.json?prefix=true and are
// offered through a <datalist>: the browser draws them, and the field keeps working
// as a plain text input without JavaScript.
(function () {
  "use strict";
  // Which entity type a report parameter completes to.
  var FIELD_TYPES = { author: "author", paper: "paper", organization: "organization", org: "organization" };

  function attach(input, type) {
    var list = document.createElement("datalist");
    list.id = input.id + "-suggestions";
    input.parentNode.insertBefore(list, input.nextSibling);
    input.setAttribute("list", list.id);
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      var text = input.value.trim();
      if (text.length < 2 || text === last) { return; }
      last = text;
      clearTimeout(timer);
      timer = setTimeout(function () {
        var url = "/search.json?prefix=true&limit=8&q=" + encodeURIComponent(text);
        if (type) { url += "&type=" + encodeURIComponent(type); }
        fetch(url, { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { hits: [] }; })
          .then(function (data) {
            while (list.firstChild) { list.removeChild(list.firstChild); }
            (data.hits || []).forEach(function (hit) {
              var option = document.createElement("option");
              option.value = hit.label;
              option.label = hit.type ? hit.type : "";
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are optional */ });
      }, 150);
    });
  }

  document.querySelectorAll("input[data-complete]").forEach(function (input) {
    var type = input.getAttribute("data-complete");
    attach(input, type === "any" ? null : type);
  });
  document.querySelectorAll("form.report-form input[name]").forEach(function (input) {
    var type = FIELD_TYPES[input.name];
    if (type && !input.hasAttribute("data-complete")) { attach(input, type); }
  });
})();
