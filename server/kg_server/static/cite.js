// The paper page's "Cite" panel: a button that copies the formatted reference, and the
// style list that shows another style as soon as it is chosen. Without JavaScript the
// reference can still be selected by hand and the form has its own button.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) { return; }
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () { button.textContent = "Copied"; },
        function () { button.textContent = "Copy failed: select the text"; }
      );
      setTimeout(function () { button.textContent = label; }, 2000);
    });
  });
  document.querySelectorAll("form.cite-style select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
