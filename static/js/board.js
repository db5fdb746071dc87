// The opportunity board (templates/opportunities/board.html): cards move by
// drag and drop, by ArrowLeft/ArrowRight on a focused card, and by each card's
// "Move to…" form, which works without this script. Every move is a POST to
// opportunities:opportunity_move with the card's version; the answer carries
// the card as the server has it now, the column headers (hx-swap-oob) and an
// HX-Trigger `boardMove` {ok, message}. A refused move (or a failed request)
// puts the card back where it was; the message goes to #board-status.
(function () {
  "use strict";

  var board = null;
  var status = null;
  var dragged = null;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function stages() {
    return Array.prototype.map.call(board.querySelectorAll(".board-col"), function (col) {
      return col.dataset.stage;
    });
  }

  function listOf(stage) {
    return board.querySelector('[data-cards="' + stage + '"]');
  }

  function say(message, isError) {
    status.classList.toggle("is-error", !!isError);
    status.textContent = message;
  }

  function cards(list) {
    return Array.prototype.filter.call(list.children, function (el) {
      return el.hasAttribute("data-card");
    });
  }

  // An empty column says so; a column that gets a card loses the note.
  function refreshEmpty(list) {
    var note = list.querySelector("[data-empty]");
    var more = list.querySelector(".board-more-item");
    if (cards(list).length || more) {
      if (note) { note.remove(); }
    } else if (!note) {
      note = document.createElement("li");
      note.className = "board-empty muted small";
      note.setAttribute("data-empty", "");
      note.textContent = board.dataset.msgEmpty || "";
      list.appendChild(note);
    }
  }

  // Cards keep the server's order (expected close date, then id).
  function place(card, list) {
    var key = card.dataset.sort || "";
    var before = cards(list).filter(function (other) {
      return other !== card && (other.dataset.sort || "") > key;
    })[0] || list.querySelector(".board-more-item");
    var from = card.parentNode;
    list.insertBefore(card, before || null);
    refreshEmpty(list);
    if (from && from !== list) { refreshEmpty(from); }
  }

  function putBack(card, origin) {
    if (origin.next && origin.next.parentNode === origin.list) {
      origin.list.insertBefore(card, origin.next);
    } else {
      place(card, origin.list);
      return;
    }
    refreshEmpty(origin.list);
    var list = listOf(card.dataset.stage);
    if (list && list !== origin.list) { refreshEmpty(list); }
  }

  function moveEvent(response) {
    try {
      return JSON.parse(response.headers.get("HX-Trigger") || "{}").boardMove || null;
    } catch (e) {
      return null;
    }
  }

  // Put the server's parts in place: the headers by id, the card into the
  // column of its stage (gone from the board when it is in none).
  function apply(html, oldCard) {
    var template = document.createElement("template");
    template.innerHTML = html;
    template.content.querySelectorAll("[hx-swap-oob]").forEach(function (part) {
      var current = document.getElementById(part.id);
      part.removeAttribute("hx-swap-oob");
      if (current) { current.replaceWith(part); }
    });
    var fresh = template.content.querySelector("[data-card]");
    if (!fresh) { return null; }
    var list = listOf(fresh.dataset.stage);
    var from = oldCard.parentNode;
    oldCard.remove();
    if (from) { refreshEmpty(from); }
    if (!list) { return null; }
    place(fresh, list);
    return fresh;
  }

  function move(card, stage, keepFocus) {
    var target = listOf(stage);
    if (!target || card.dataset.pending || stage === card.dataset.stage) { return; }
    var origin = { list: card.parentNode, next: card.nextElementSibling };
    var hadFocus = keepFocus || card.contains(document.activeElement);
    // A dragged card keeps focus without scrolling its new column (which
    // could reveal "load more" mid-move); a keyed one is scrolled into view.
    var focusOptions = keepFocus ? {} : { preventScroll: true };
    card.dataset.pending = "true";
    card.classList.add("is-pending");
    card.setAttribute("aria-busy", "true");
    place(card, target);
    if (hadFocus) { card.focus(focusOptions); }
    say(board.dataset.msgMoving || "", false);

    var body = new URLSearchParams();
    body.set("stage", stage);
    body.set("version", card.dataset.version || "");
    fetch(card.dataset.moveUrl + window.location.search, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "X-CSRFToken": csrfToken(),
        "HX-Request": "true",
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: body.toString(),
    }).then(function (response) {
      return response.text().then(function (text) {
        return { response: response, text: text };
      });
    }).then(function (answer) {
      var event = moveEvent(answer.response);
      var ok = answer.response.ok && event !== null && event.ok === true;
      if (!ok) { putBack(card, origin); }
      var shown = (event ? apply(answer.text, card) : null) || card;
      done(card);
      if (hadFocus && shown.isConnected) { shown.focus(focusOptions); }
      say(event && event.message ? event.message : board.dataset.msgFailed, !ok);
    }).catch(function () {
      putBack(card, origin);
      done(card);
      if (hadFocus) { card.focus(focusOptions); }
      say(board.dataset.msgFailed, true);
    });
  }

  function done(card) {
    delete card.dataset.pending;
    card.classList.remove("is-pending");
    card.removeAttribute("aria-busy");
  }

  function columnOf(el) {
    return el && el.closest ? el.closest(".board-col") : null;
  }

  function clearTargets() {
    board.querySelectorAll(".board-col.is-target").forEach(function (col) {
      col.classList.remove("is-target");
    });
  }

  function init() {
    board = document.querySelector("[data-board]");
    status = document.getElementById("board-status");
    if (!board || !status) { return; }
    board.classList.add("is-enhanced");

    board.addEventListener("dragstart", function (event) {
      var card = event.target.closest && event.target.closest("[data-card][data-move-url]");
      if (!card || card.dataset.pending) { return; }
      dragged = card;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.opp);
      card.classList.add("is-dragging");
    });
    board.addEventListener("dragend", function () {
      if (dragged) { dragged.classList.remove("is-dragging"); }
      dragged = null;
      clearTargets();
    });
    board.addEventListener("dragover", function (event) {
      var col = columnOf(event.target);
      if (!dragged || !col || col.dataset.stage === dragged.dataset.stage) { return; }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      if (!col.classList.contains("is-target")) {
        clearTargets();
        col.classList.add("is-target");
      }
    });
    board.addEventListener("dragleave", function (event) {
      var col = columnOf(event.target);
      if (col && !col.contains(event.relatedTarget)) { col.classList.remove("is-target"); }
    });
    board.addEventListener("drop", function (event) {
      var col = columnOf(event.target);
      var card = dragged;
      clearTargets();
      if (!card || !col) { return; }
      event.preventDefault();
      move(card, col.dataset.stage, false);
    });

    // ← / → on a focused card (not on the controls inside it).
    board.addEventListener("keydown", function (event) {
      var card = event.target;
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") { return; }
      if (!card.hasAttribute || !card.hasAttribute("data-card")) { return; }
      if (!card.dataset.moveUrl || event.altKey || event.ctrlKey || event.metaKey) { return; }
      event.preventDefault();
      if (card.dataset.pending) { return; }
      var order = stages();
      var index = order.indexOf(card.dataset.stage) + (event.key === "ArrowRight" ? 1 : -1);
      if (index < 0) {
        say(board.dataset.msgFirst, false);
      } else if (index >= order.length) {
        say(board.dataset.msgLast, false);
      } else {
        move(card, order[index], true);
      }
    });

    // The card's "Move to…" form, sent the same way (the page stays).
    board.addEventListener("submit", function (event) {
      var form = event.target.closest("[data-move-form]");
      var card = form && form.closest("[data-card]");
      if (!card) { return; }
      event.preventDefault();
      var stage = form.elements.stage.value;
      if (stage) { move(card, stage, true); }
    });

    // A column's next page may hold a card that is already on the board (it
    // was moved into this column after the page was drawn). The page has it
    // where the server sorts it: keep that copy, unless the card is moving,
    // then keep the moving one (its answer places it).
    document.addEventListener("htmx:beforeSwap", function (event) {
      var source = event.detail.requestConfig && event.detail.requestConfig.elt;
      if (!source || !source.closest || !source.closest("[data-board] .board-more-item")) { return; }
      if (!event.detail.xhr || event.detail.xhr.status !== 200) { return; }
      var template = document.createElement("template");
      template.innerHTML = event.detail.serverResponse;
      var changed = false;
      template.content.querySelectorAll("[data-card]").forEach(function (incoming) {
        var existing = document.getElementById(incoming.id);
        if (!existing) { return; }
        changed = true;
        if (existing.dataset.pending) {
          incoming.remove();
        } else {
          var list = existing.parentNode;
          existing.remove();
          refreshEmpty(list);
        }
      });
      if (changed) { event.detail.serverResponse = template.innerHTML; }
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
