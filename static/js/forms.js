// Forms: the error summary, the primary contact, rows that become required.
// Every form works without this file; it only saves the user steps.
(function () {
  "use strict";

  // Focus the error summary (tabindex=-1) so it is scrolled to and read out.
  function focusSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  }

  // A summary link moves focus to its field, not just the view.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-link]");
    if (!link) { return; }
    var target = document.getElementById(link.dataset.errorLink);
    if (!target) { return; }
    event.preventDefault();
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center" });
  });

  // Ticking "primary contact" on one row unticks it on the others of the
  // same formset (the server refuses two, with a message, all the same).
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-primary]") || !box.checked) { return; }
    var formset = box.closest("[data-formset]") || box.form;
    formset.querySelectorAll("input[data-primary]").forEach(function (other) {
      if (other !== box) { other.checked = false; }
    });
  });

  // A new contact row is optional; once anything in it is filled its name is
  // required, and its asterisk shows (`.is-filled`), as the server decides.
  function isFilled(row) {
    return Array.prototype.some.call(
      row.querySelectorAll("input, select, textarea"),
      function (el) {
        if (el.type === "hidden" || /-DELETE$/.test(el.name)) { return false; }
        if (el.type === "checkbox" || el.type === "radio") { return el.checked; }
        return el.value.trim() !== "";
      }
    );
  }

  function markRow(row) {
    row.classList.toggle("is-filled", isFilled(row));
  }

  ["input", "change"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var row = event.target.closest && event.target.closest("[data-contact-row]");
      if (row) { markRow(row); }
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-contact-row]").forEach(markRow);
    focusSummary();
  });
})();
