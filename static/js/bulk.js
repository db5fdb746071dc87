// Bulk bars on lists: a form holding row checkboxes, a header box
// ([data-select-all]) and a bar of controls ([data-bulk-controls]).
//
// Generic: nothing here knows which records a list shows. The markup brings
// the texts (data-bulk-text-none/-one/-other on the controls; data-confirm-one
// /-other on each action's <option>, with __N__ for the count and __VALUE__
// for the chosen input's text), the inputs each action needs
// ([data-bulk-for="action other-action"]), the list's total
// (data-bulk-total) and the "select all N matching" box ([data-bulk-matching]).
// Row checkboxes are named "selected" unless the controls say otherwise
// (data-bulk-items). Without this script every input shows and the form posts
// as a plain form; with it, the bar shows only what the chosen action needs,
// counts live, asks before applying and posts through htmx (HX-Request), so a
// validation error comes back as the bar alone and the ticked rows stay ticked.
(function () {
  "use strict";

  var selectAll = "[data-select-all]";

  function controlsOf(form) {
    return form ? form.querySelector("[data-bulk-controls]") : null;
  }

  function items(form) {
    var controls = controlsOf(form);
    var name = (controls && controls.dataset.bulkItems) || "selected";
    return Array.prototype.slice.call(
      form.querySelectorAll('input[type="checkbox"][name="' + name + '"]')
    );
  }

  function matchingBox(controls) {
    return controls ? controls.querySelector("[data-bulk-matching] input") : null;
  }

  function state(form) {
    var boxes = items(form);
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    var matching = matchingBox(controlsOf(form));
    var all = Boolean(matching && matching.checked && !matching.closest("[hidden]"));
    var total = parseInt((controlsOf(form) || {dataset: {}}).dataset.bulkTotal, 10) || 0;
    return {boxes: boxes, ticked: ticked, all: all, count: all ? total : ticked};
  }

  function fill(template, count, value) {
    // split/join, not replace(): a value may hold "$&" and the like.
    return (template || "")
      .split("__N__").join(count.toLocaleString())
      .split("__VALUE__").join(value || "");
  }

  function actionSelect(controls) {
    return controls.querySelector("[data-bulk-action]");
  }

  function activeField(controls) {
    var action = actionSelect(controls);
    var fields = controls.querySelectorAll("[data-bulk-for]");
    for (var i = 0; i < fields.length; i++) {
      if (action && fields[i].dataset.bulkFor.split(" ").indexOf(action.value) !== -1) {
        return fields[i];
      }
    }
    return null;
  }

  function chosenText(field) {
    var input = field && field.querySelector("select, input");
    if (!input || !input.value) { return ""; }
    if (input.tagName === "SELECT") { return input.options[input.selectedIndex].text; }
    return input.value;
  }

  function update(form) {
    var controls = controlsOf(form);
    var s = state(form);
    var full = s.boxes.length > 0 && s.ticked === s.boxes.length;
    form.querySelectorAll(selectAll).forEach(function (header) {
      header.checked = full;
      header.indeterminate = s.ticked > 0 && !full;
    });
    if (!controls) { return; }
    controls.querySelectorAll("[data-bulk-js-only]").forEach(function (el) { el.hidden = false; });
    var offer = controls.querySelector("[data-bulk-matching]");
    if (offer) {
      // Offered once the whole page is ticked; unticking a row withdraws it.
      offer.hidden = !full;
      if (!full) { matchingBox(controls).checked = false; }
      s = state(form);
    }
    var key = s.count === 0 ? "bulkTextNone" : s.count === 1 ? "bulkTextOne" : "bulkTextOther";
    controls.querySelector("[data-bulk-count]").textContent = fill(controls.dataset[key], s.count);
    controls.classList.toggle("is-quiet", s.count === 0);
    controls.querySelector("[data-bulk-apply]").disabled = s.count === 0;
    var active = activeField(controls);
    controls.querySelectorAll("[data-bulk-for]").forEach(function (field) {
      field.hidden = field !== active;
    });
  }

  function updateAll(root) {
    (root || document).querySelectorAll("form").forEach(function (form) {
      if (controlsOf(form) || form.querySelector(selectAll)) { update(form); }
    });
  }

  function syncQuery(form) {
    // The list's filters change through htmx, which pushes the page URL:
    // the live query is the address bar's, whatever the bar was rendered with.
    var query = form.querySelector("[data-bulk-query]");
    if (query) { query.value = window.location.search.replace(/^\?/, ""); }
    if (form.elements.next) {
      form.elements.next.value = window.location.pathname + window.location.search;
    }
  }

  function confirmThen(controls, text, proceed) {
    var dialog = controls.querySelector("[data-bulk-confirm]");
    if (!dialog || typeof dialog.showModal !== "function") {
      if (window.confirm(text)) { proceed(); }
      return;
    }
    dialog.querySelector("[data-bulk-confirm-text]").textContent = text;
    dialog.returnValue = "";
    dialog.addEventListener("close", function () {
      if (dialog.returnValue === "ok") { proceed(); }
    }, {once: true});
    dialog.showModal();
  }

  function plainSubmit(form) {
    HTMLFormElement.prototype.submit.call(form);
  }

  function send(form) {
    var controls = controlsOf(form);
    var s = state(form);
    var data = new FormData(form);
    if (s.all) { data.delete((controls.dataset.bulkItems) || "selected"); }
    controls.setAttribute("aria-busy", "true");
    controls.querySelector("[data-bulk-apply]").disabled = true;
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: {"HX-Request": "true"}
    }).then(function (response) {
      var target = response.headers.get("HX-Redirect");
      if (target) { window.location.assign(target); return null; }
      if (!response.ok) { plainSubmit(form); return null; }
      return response.text().then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("[data-bulk-controls]");
        if (!fresh) { plainSubmit(form); return; }
        controls.replaceWith(fresh);
        if (window.htmx) { window.htmx.process(fresh); }
        update(form);
        var invalid = fresh.querySelector("[aria-invalid=true], .has-error select, .has-error input");
        var errors = fresh.querySelector(".bulk-errors");
        if (invalid) { invalid.focus(); } else if (errors) { errors.focus(); }
      });
    }).catch(function () { plainSubmit(form); });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var form = target.form || target.closest("form");
    if (!form) { return; }
    if (target.matches(selectAll)) {
      items(form).forEach(function (box) { box.checked = target.checked; });
    }
    // A field's error goes once the user changes the field.
    var field = target.closest(".bulk-field.has-error");
    if (field) {
      field.classList.remove("has-error");
      target.removeAttribute("aria-invalid");
      target.removeAttribute("aria-describedby");
      field.querySelectorAll(".error").forEach(function (error) { error.remove(); });
    }
    if (target.matches(selectAll) || controlsOf(form) || target.name === "selected") {
      update(form);
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-bulk-ok], [data-bulk-cancel]");
    if (!button) { return; }
    button.closest("dialog").close(button.matches("[data-bulk-ok]") ? "ok" : "cancel");
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var controls = controlsOf(form);
    if (!controls) { return; }
    event.preventDefault();
    syncQuery(form);
    var s = state(form);
    if (s.count === 0) { return; }
    var value = chosenText(activeField(controls));
    if (!value) {
      // Nothing chosen for the action: the server's message says what is missing.
      send(form);
      return;
    }
    var option = actionSelect(controls).selectedOptions[0];
    var template = s.count === 1 ? option.dataset.confirmOne : option.dataset.confirmOther;
    confirmThen(controls, fill(template, s.count, value), function () { send(form); });
  });

  document.addEventListener("DOMContentLoaded", function () { updateAll(document); });
  // Back/forward may restore ticked boxes from the page cache.
  window.addEventListener("pageshow", function () { updateAll(document); });
  document.addEventListener("htmx:historyRestore", function () { updateAll(document); });
  // A results swap with the same filters (a filter input's "change" on blur
  // re-requests the list as it is) must not drop the ticks: they are kept
  // for the rows still there, and "all matching" while the filters are the same.
  function filtersOf(controls) {
    var params = new URLSearchParams(controls.dataset.bulkFilters || "");
    var kept = [];
    params.forEach(function (value, key) {
      if (value !== "" && key !== "page") { kept.push(key + "=" + value); }
    });
    return kept.sort().join("&");
  }

  var before = {};
  document.addEventListener("htmx:beforeSwap", function (event) {
    before = {};
    event.detail.target.querySelectorAll("[data-bulk-controls]").forEach(function (controls) {
      var form = controls.closest("form");
      if (!form || !form.id) { return; }
      var s = state(form);
      before[form.id] = {
        ticked: s.boxes.filter(function (box) { return box.checked; }).map(function (box) { return box.value; }),
        all: s.all,
        filters: filtersOf(controls)
      };
    });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    Object.keys(before).forEach(function (id) {
      var form = document.getElementById(id);
      var controls = controlsOf(form);
      if (!controls) { return; }
      var kept = before[id];
      items(form).forEach(function (box) {
        if (kept.ticked.indexOf(box.value) !== -1) { box.checked = true; }
      });
      var matching = matchingBox(controls);
      if (matching && kept.all && kept.filters === filtersOf(controls)) { matching.checked = true; }
    });
    before = {};
    var form = event.target.closest("form");
    if (form) { update(form); } else { updateAll(event.target); }
  });
})();
