// Live search for the search page: results follow the query as it is typed.
// The page works without this file (a plain GET form). This only fetches
// the results area from the server (/search/results, rendered by the same
// template as the page), moves through results with the arrow keys, and
// keeps the address shareable. The fetched markup comes from the site's own
// escaping templates; it is parsed inert and its nodes moved into the page.
(function () {
  "use strict";

  var DELAY_MS = 150;
  var form = document.getElementById("search-form");
  if (!form || !window.fetch || !window.history || !history.replaceState || !window.DOMParser) {
    return;
  }
  var input = document.getElementById("q");
  var area = document.getElementById("results-area");
  var start = document.getElementById("start");
  var fragmentUrl = form.getAttribute("data-results");
  var timer = null;
  var sent = 0;    // number of the latest request
  var shown = 0;   // number of the request whose answer is on screen

  // The arrow keys need a keyboard: say so only where there is a fine pointer.
  var hint = document.getElementById("search-hint");
  if (hint && window.matchMedia && window.matchMedia("(pointer: fine)").matches) {
    hint.hidden = false;
    input.setAttribute("aria-describedby", "search-hint");
  }

  // The query and the filter in force (a hidden field of the form).
  function params() {
    var values = new URLSearchParams({ q: input.value });
    form.querySelectorAll("input[type=hidden]").forEach(function (field) {
      if (field.value) { values.set(field.name, field.value); }
    });
    return values;
  }

  // Move the fetched area into the page. Elements that persist (the live
  // summary among them) keep their identity: only their contents change.
  function show(html) {
    var fresh = Array.prototype.slice.call(
      new DOMParser().parseFromString(html, "text/html").body.children);
    var same = fresh.length === area.children.length && fresh.every(function (node) {
      var current = node.id && document.getElementById(node.id);
      return current && current.parentNode === area;
    });
    if (!same) {
      area.replaceChildren.apply(area, fresh);
      return;
    }
    fresh.forEach(function (node) {
      var current = document.getElementById(node.id);
      current.replaceChildren.apply(current, Array.prototype.slice.call(node.childNodes));
      current.hidden = node.hidden;
      if (node.hasAttribute("start")) { current.setAttribute("start", node.getAttribute("start")); }
    });
  }

  function run() {
    var values = params();
    var number = ++sent;
    var query = values.get("q");
    history.replaceState(history.state, "",
                         query.trim() ? form.action + "?" + values.toString() : "/");
    start.hidden = Boolean(query.trim());
    if (!query.trim()) {
      shown = number;
      area.replaceChildren();
      return;
    }
    // A last word with no space after it may be half typed: the server
    // leaves it out unless the articles have it (never "corrects" it).
    var live = new URLSearchParams(values);
    if (!/\s$/.test(input.value)) { live.set("partial", "1"); }
    fetch(fragmentUrl + "?" + live.toString(), { headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("search failed: " + response.status); }
        // 204: nothing to search yet (a first word half typed).
        return response.status === 204 ? null : response.text();
      })
      .then(function (html) {
        // An answer older than the one on screen is stale: drop it.
        if (number <= shown) { return; }
        shown = number;
        if (html !== null) { show(html); }
      })
      .catch(function () {
        if (number <= shown) { return; }
        shown = number;
        var note = document.createElement("p");
        note.className = "count";
        note.textContent = "Search is not available just now. Press Search to try again.";
        area.replaceChildren(note);
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(run, DELAY_MS);
  }

  input.addEventListener("input", schedule);

  // Down and Up move focus between the search box and the result links;
  // Enter on a focused link opens it like any link.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") { return; }
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    var links = Array.prototype.slice.call(area.querySelectorAll("a.hit-link"));
    var at = links.indexOf(document.activeElement);
    if (!links.length || (at < 0 && document.activeElement !== input)) { return; }
    event.preventDefault();
    if (event.key === "ArrowDown") {
      links[at < 0 ? 0 : Math.min(at + 1, links.length - 1)].focus();
    } else if (at <= 0) {
      input.focus();
    } else {
      links[at - 1].focus();
    }
  });
}());
