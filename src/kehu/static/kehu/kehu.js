/* Kehu: the little behaviour the pages need beyond htmx. Event delegation, so it also works on swapped content. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("select[data-autosubmit]")) {
      target.form.submit();
    }
    if (target.matches("input[data-select-all]")) {
      var name = target.getAttribute("data-select-all");
      document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
  });

  // "Back" links of the error pages: the previous page when there is one, else their href (the home page)
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-back]") : null;
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // The Content-Security-Policy allows no style="" in the markup: colours and widths computed by the server come in
  // data- attributes and are set here, on the page and on content htmx swaps in.
  function within(root, selector) {
    var found = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches && root.matches(selector)) {
      found.push(root);
    }
    return found;
  }
  function applyDataStyles(root) {
    within(root, "[data-tag-color]").forEach(function (element) {
      element.style.setProperty("--tag-color", element.getAttribute("data-tag-color"));
    });
    within(root, "[data-width]").forEach(function (element) {
      var percent = parseFloat(element.getAttribute("data-width"));
      if (!isNaN(percent)) {
        element.style.width = Math.max(0, Math.min(100, percent)) + "%";
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { applyDataStyles(document); });
  document.addEventListener("htmx:load", function (event) { applyDataStyles(event.target); });

  // close an open drop-down menu when clicking elsewhere
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) {
        menu.removeAttribute("open");
      }
    });
  });
})();
