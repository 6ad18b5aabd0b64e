/* The opportunity board: HTML5 drag-and-drop. A card dropped on a column submits the card's own stage form (which
   htmx posts; without a drop the same form works by keyboard: choose the stage, press Move). */
(function () {
  "use strict";
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest("[data-card]") : null;
    if (!card) { return; }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-card"));
  });
  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    document.querySelectorAll(".drop-target").forEach(function (element) { element.classList.remove("drop-target"); });
  });
  document.addEventListener("dragover", function (event) {
    var column = event.target.closest ? event.target.closest("[data-drop-stage]") : null;
    if (column && dragged) {
      event.preventDefault();
      column.classList.add("drop-target");
    }
  });
  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest ? event.target.closest("[data-drop-stage]") : null;
    if (column && !column.contains(event.relatedTarget)) { column.classList.remove("drop-target"); }
  });
  document.addEventListener("drop", function (event) {
    var column = event.target.closest ? event.target.closest("[data-drop-stage]") : null;
    if (!column || !dragged) { return; }
    event.preventDefault();
    var form = dragged.querySelector("form.board-move");
    var select = form ? form.querySelector("select[name=stage]") : null;
    if (!select) { return; }
    var stage = column.getAttribute("data-drop-stage");
    if (select.value === stage) { return; }
    var option = select.querySelector('option[value="' + stage + '"]');
    if (!option) {  /* a lost column: the deal needs a reason, on its page */
      option = document.createElement("option");
      option.value = stage;
      select.appendChild(option);
    }
    select.value = stage;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });
})();
