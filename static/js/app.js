// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  function init(root) {
    root.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
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

  // The menu on narrow screens. Without JS the "Menu" link opens it through
  // :target; here a real button with aria-expanded takes its place, and the
  // menu closes with Escape (focus back on the button) or a click outside it.
  function initNav() {
    var button = document.querySelector("[data-nav-toggle]");
    var nav = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!nav) { return; }
    document.querySelectorAll("[data-nav-link]").forEach(function (link) { link.hidden = true; });
    button.hidden = false;
    document.documentElement.classList.add("js-nav");

    function isOpen() { return button.getAttribute("aria-expanded") === "true"; }
    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("is-open", open);
    }
    button.addEventListener("click", function () { setOpen(!isOpen()); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && isOpen()) {
        setOpen(false);
        button.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (isOpen() && !nav.contains(event.target) && !button.contains(event.target)) {
        setOpen(false);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", initNav);
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
  // htmx's Back/Forward restores the page from a snapshot: new elements, no listeners.
  document.addEventListener("htmx:historyRestore", function () { init(document); });
})();
