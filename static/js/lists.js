// Lists (templates/customers/customer_list.html and the lists that copy it).
// Every behaviour here enhances something that works without it:
// - Back/Forward: the filter inputs show the filters of the address bar;
// - the phone's "Filters" button folds the filter panel (a #target link without JS);
// - the column chooser, posted through htmx, reloads the results in place;
// - open menus close on a click elsewhere or Escape.
(function () {
  "use strict";

  function filterForm() {
    return document.querySelector("form[data-list-filters]");
  }

  // htmx restores the results of a history entry from its snapshot of the
  // page, but what was typed into an input is not part of that snapshot (nor
  // of a fresh load's form restoration): the search box came back empty while
  // the rows stayed filtered. The address bar is the truth; show it.
  function syncFromLocation() {
    var form = filterForm();
    if (!form) { return; }
    var params = new URLSearchParams(window.location.search);
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "submit" || el.type === "button") { return; }
      var values = params.getAll(el.name);
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = values.indexOf(el.value) !== -1;
      } else if (el.tagName === "SELECT") {
        selectValues(el, values);
      } else {
        el.value = values.length ? values[0] : "";
      }
    });
  }

  function selectValues(select, values) {
    var options = Array.prototype.slice.call(select.options);
    if (select.multiple) {
      options.forEach(function (o) { o.selected = values.indexOf(o.value) !== -1; });
      return;
    }
    var wanted = values.length ? values[0] : "";
    var match = options.filter(function (o) { return o.value === wanted; })[0];
    // Absent from the URL: "All" (the empty choice) or the first, the default.
    select.selectedIndex = match ? match.index : 0;
  }

  function panelOf(toggle) {
    return document.getElementById(toggle.getAttribute("aria-controls"));
  }

  function setFolded(toggle, open) {
    var panel = panelOf(toggle);
    if (!panel) { return; }
    panel.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", String(open));
  }

  function initToggles() {
    document.querySelectorAll("[data-filter-toggle]").forEach(function (toggle) {
      toggle.setAttribute("role", "button");
      var panel = panelOf(toggle);
      toggle.setAttribute("aria-expanded", String(!!panel && panel.classList.contains("is-open")));
    });
  }

  function closeMenus(except) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (menu !== except) { menu.removeAttribute("open"); }
    });
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-filter-toggle]");
    if (toggle) {
      event.preventDefault();
      var open = toggle.getAttribute("aria-expanded") !== "true";
      setFolded(toggle, open);
      if (open) {
        var first = panelOf(toggle).querySelector("select, input, button");
        if (first) { first.focus(); }
      }
      return;
    }
    var close = event.target.closest("[data-filter-close]");
    if (close) {
      event.preventDefault();
      document.querySelectorAll("[data-filter-toggle]").forEach(function (t) {
        setFolded(t, false);
        t.focus();
      });
      return;
    }
    closeMenus(event.target.closest("details[data-menu]"));
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var menu = event.target.closest && event.target.closest("details[data-menu][open]");
    closeMenus(null);
    if (menu) { menu.querySelector("summary").focus(); }
  });

  // The column chooser answered 204 + HX-Trigger: reload the results with the
  // user's columns (a view's columns in the URL no longer apply).
  document.addEventListener("listColumnsSaved", function () {
    var form = filterForm();
    if (!form) { return; }
    form.querySelectorAll('input[name="columns"]').forEach(function (el) { el.remove(); });
    closeMenus(null);
    form.requestSubmit();
  });

  document.addEventListener("htmx:historyRestore", function () {
    syncFromLocation();
    initToggles();
  });
  window.addEventListener("popstate", function () { window.setTimeout(syncFromLocation, 0); });
  window.addEventListener("pageshow", syncFromLocation);
  document.addEventListener("DOMContentLoaded", initToggles);
})();
