/* Kehu: the province → city → district picker of the customer form. A select with data-division reloads the
   options of the select named in data-division-child from data-division-url?parent=CODE when it changes, and
   empties the levels below. Without JavaScript the form still works: the server offers each level's options
   for the level above as submitted. */
(function () {
  "use strict";

  function fill(select, options) {
    var blank = select.options.length ? select.options[0].cloneNode(true) : new Option("—", "");
    select.innerHTML = "";
    select.appendChild(blank);
    options.forEach(function (option) {
      select.appendChild(new Option(option[1], option[0]));
    });
    select.value = "";
  }

  function child(select) {
    var name = select.getAttribute("data-division-child");
    return name && select.form ? select.form.querySelector('select[name$="' + name + '"]') : null;
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-division]")) {
      return;
    }
    var next = child(select);
    var below = next;
    while (below) {
      fill(below, []);
      below = child(below);
    }
    if (!next || !select.value) {
      return;
    }
    var url = select.getAttribute("data-division-url") + "?parent=" + encodeURIComponent(select.value);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { options: [] }; })
      .then(function (data) { fill(next, data.options || []); });
  });
}());
