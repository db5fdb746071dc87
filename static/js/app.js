// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  function init(root) {
    root.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
    root.querySelectorAll("[data-select-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        var form = box.closest("form");
        form.querySelectorAll('input[name="selected"]').forEach(function (cb) {
          cb.checked = box.checked;
        });
      });
    });
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
  }

  // "Add another contact": clone the formset's empty form with the next index.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-form]");
    if (!button) { return; }
    var prefix = button.dataset.addForm;
    var container = document.querySelector('[data-formset="' + prefix + '"]');
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = container.querySelector("template[data-empty-form]");
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    template.insertAdjacentHTML("beforebegin", html);
    total.value = String(index + 1);
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
