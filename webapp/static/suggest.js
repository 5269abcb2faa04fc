// Suggestions under the search box: article titles and questions that the
// typed words begin, from /api/suggest. An ARIA combobox (WAI-ARIA APG,
// "list autocomplete"): Down and Up move through the list, Enter takes the
// highlighted suggestion into the box, Escape closes the list. While the list
// is closed the keys do what the page does without this file (search.js moves
// Down into the results). Choosing a suggestion puts it in the box and fires
// an input event, so live search shows its results. Without JavaScript, or
// without fetch, the box is a plain search box.
(function () {
  "use strict";

  var DELAY_MS = 120;
  var KIND_LABELS = { title: "Article", fact: "Topic", question: "Question" };
  var input = document.getElementById("q");
  var form = document.getElementById("search-form");
  if (!input || !form || !window.fetch || !window.URLSearchParams) { return; }
  var row = input.parentNode;

  var list = document.createElement("ul");
  list.id = "suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  row.parentNode.insertBefore(list, row.nextSibling);
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  list.parentNode.insertBefore(status, list.nextSibling);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  var controls = input.getAttribute("aria-controls");
  input.setAttribute("aria-controls", controls ? "suggestions " + controls : "suggestions");

  var timer = null;
  var sent = 0;
  var active = -1;
  var typed = "";     // what the reader typed, shown again when leaving the list

  function options() { return list.querySelectorAll("[role=option]"); }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    var all = options();
    if (active >= 0 && all[active]) { all[active].setAttribute("aria-selected", "false"); }
    active = index;
    if (index < 0) {
      input.removeAttribute("aria-activedescendant");
      return;
    }
    all[index].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", all[index].id);
    all[index].scrollIntoView({ block: "nearest" });
  }

  function choose(text) {
    close();
    input.value = text;
    typed = text;
    sent++;  // a suggestions answer still on its way is no longer wanted
    // Live search (search.js) follows the box's input events.
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function show(items) {
    list.replaceChildren();
    active = -1;
    items.forEach(function (item, n) {
      var option = document.createElement("li");
      option.id = "suggestion-" + n;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.className = "suggestion";
      var text = document.createElement("span");
      text.className = "suggestion-text";
      text.textContent = item.text;
      var kind = document.createElement("span");
      kind.className = "suggestion-kind";
      kind.textContent = KIND_LABELS[item.kind] || "";
      option.append(text, " ", kind);
      // mousedown, not click: the box keeps its focus.
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();
        choose(item.text);
      });
      list.appendChild(option);
    });
    var open = items.length > 0;
    list.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    status.textContent = open ? items.length + (items.length === 1 ? " suggestion" : " suggestions")
      + ": Down arrow to choose" : "";
  }

  function fetchSuggestions() {
    var number = ++sent;
    var query = input.value;
    if (query.trim().length < 2) { close(); return; }
    fetch("/api/suggest?" + new URLSearchParams({ q: query }).toString(),
          { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("suggestions failed: " + response.status); }
        return response.json();
      })
      .then(function (body) {
        if (number !== sent || document.activeElement !== input) { return; }
        show(body.items || []);
      })
      .catch(function () { if (number === sent) { close(); } });
  }

  input.addEventListener("input", function (event) {
    if (event.isTrusted === false) { return; }  // our own, from choose()
    typed = input.value;
    window.clearTimeout(timer);
    timer = window.setTimeout(fetchSuggestions, DELAY_MS);
  });

  // On the box itself, so the page's own handler (on the document) never
  // sees a key the open list used.
  input.addEventListener("keydown", function (event) {
    if (list.hidden || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var count = options().length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      event.stopPropagation();
      var next = event.key === "ArrowDown" ? Math.min(active + 1, count - 1) : active - 1;
      highlight(next);
      input.value = next >= 0 ? options()[next].querySelector(".suggestion-text").textContent
        : typed;
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      event.stopPropagation();
      choose(options()[active].querySelector(".suggestion-text").textContent);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      input.value = typed;
      close();
    } else if (event.key === "Tab") {
      close();
    }
  });

  input.addEventListener("blur", close);
  form.addEventListener("submit", close);
}());
