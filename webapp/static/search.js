// Live search for the search page: results follow the query as it is typed.
// The page works without this file (a plain GET form); this only adds
// fetching /api/search, arrow-key movement through results, and keeping
// the address shareable. Nothing from the server is inserted as HTML: the
// markup is built with DOM nodes and text, and the snippet's <mark> tags
// are the only markup read from it.
(function () {
  "use strict";

  var DELAY_MS = 150;
  var form = document.getElementById("search-form");
  if (!form || !window.fetch || !window.history || !history.replaceState) {
    return;
  }
  var input = document.getElementById("q");
  var results = document.getElementById("results");
  var summary = document.getElementById("summary");
  var pagination = document.getElementById("pagination");
  var emptyHelp = document.getElementById("empty-help");
  var start = document.getElementById("start");
  var api = form.getAttribute("data-api");
  // The page's cap on passages per article, so live results rank as it does.
  var perArticle = form.getAttribute("data-per-article");
  var timer = null;
  var sent = 0;    // number of the latest request
  var shown = 0;   // number of the request whose answer is on screen

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  // The engine's HTML escapes everything (html.escape) and adds only <mark>.
  var ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#x27;": "'", "&#39;": "'" };
  function unescapeHtml(text) {
    return text.replace(/&(?:amp|lt|gt|quot|#x27|#39);/g, function (e) { return ENTITIES[e]; });
  }

  // Append engine HTML to parent: <mark> becomes an element, all else text.
  function appendMarked(parent, html) {
    var marked = false;
    (html || "").split(/(<mark>|<\/mark>)/).forEach(function (piece) {
      if (piece === "<mark>") { marked = true; return; }
      if (piece === "</mark>") { marked = false; return; }
      if (!piece) { return; }
      var text = unescapeHtml(piece);
      parent.appendChild(marked ? el("mark", null, text) : document.createTextNode(text));
    });
  }

  function searchUrl(query, page, kind) {
    var params = new URLSearchParams({ q: query });
    if (kind) { params.set("kind", kind); }
    if (page > 1) { params.set("page", String(page)); }
    return "/search?" + params.toString();
  }

  // Same as passage_link in webapp/views.py: ?q= goes before the #anchor.
  function passageLink(url, query) {
    var cut = url.indexOf("#");
    var path = cut < 0 ? url : url.slice(0, cut);
    var anchor = cut < 0 ? "" : url.slice(cut);
    return (query ? path + "?" + new URLSearchParams({ q: query }).toString() : path) + anchor;
  }

  // Mirrors webapp/templates/_hit.html.
  function hitItem(hit, linkQuery) {
    var li = el("li", "hit");
    li.appendChild(el("p", "hit-article", hit.article.title));
    var heading = el("h2", "hit-heading");
    var link = el("a", "hit-link");
    link.href = passageLink(hit.url, linkQuery);
    var label = { fact: "Fact " + hit.number, question: "Question " + hit.number,
                  intro: "Introduction", conclusion: "Conclusion" }[hit.kind] || hit.kind;
    link.appendChild(el("span", "hit-label", label));
    if ((hit.kind === "fact" || hit.kind === "question") && hit.heading) {
      link.appendChild(document.createTextNode(" · "));
      appendMarked(link, hit.heading_html);
    }
    heading.appendChild(link);
    li.appendChild(heading);
    var snippet = el("p", "hit-snippet");
    appendMarked(snippet, hit.snippet);
    li.appendChild(snippet);
    if (hit.related && hit.related.length) {
      var related = el("p", "hit-related");
      related.appendChild(el("span", "related-label", "See also:"));
      related.appendChild(document.createTextNode(" "));
      hit.related.forEach(function (topic, i) {
        if (i) { related.appendChild(el("span", "sep", ", ")); }
        var a = el("a", null, topic.title);
        a.href = topic.url;
        related.appendChild(a);
      });
      li.appendChild(related);
    }
    return li;
  }

  // Same choice of page links as page_numbers in webapp/views.py.
  function pageNumbers(page, last) {
    var wanted = [1, last];
    for (var n = Math.max(1, page - 2); n <= Math.min(last, page + 2); n++) { wanted.push(n); }
    wanted = wanted.filter(function (v, i) { return wanted.indexOf(v) === i; })
                   .sort(function (a, b) { return a - b; });
    var out = [];
    wanted.forEach(function (n) {
      if (out.length && n - out[out.length - 1] > 1) { out.push(null); }
      out.push(n);
    });
    return out;
  }

  function renderPagination(data, kind) {
    var last = Math.max(1, Math.ceil(data.total / data.per_page));
    pagination.replaceChildren();
    pagination.hidden = last < 2;
    if (last < 2) { return; }
    var list = el("ul");
    function item(text, page, rel) {
      var li = el("li");
      var a = el("a", null, text);
      a.href = searchUrl(data.query, page, kind);
      if (rel) { a.rel = rel; }
      if (page === data.page && !rel) { a.setAttribute("aria-current", "page"); }
      li.appendChild(a);
      list.appendChild(li);
    }
    if (data.page > 1) { item("← Previous", data.page - 1, "prev"); }
    pageNumbers(data.page, last).forEach(function (n) {
      if (n === null) {
        var gap = el("li", "gap", "…");
        gap.setAttribute("aria-hidden", "true");
        list.appendChild(gap);
      } else {
        item(String(n), n);
      }
    });
    if (data.page < last) { item("Next →", data.page + 1, "next"); }
    pagination.appendChild(list);
  }

  function renderSummary(data, kind) {
    var parts = [];
    if (data.corrected) {
      var p = el("p", "correction", data.correction_applied ? "Showing results for " : "Did you mean ");
      var a = el("a", null, data.corrected);
      a.href = searchUrl(data.corrected, 1, kind);
      p.appendChild(a);
      if (!data.correction_applied) { p.appendChild(document.createTextNode("?")); }
      parts.push(p);
    }
    var last = Math.max(1, Math.ceil(data.total / data.per_page));
    if (data.total) {
      var count = data.total + " passage" + (data.total === 1 ? "" : "s");
      if (last > 1) { count += " · page " + data.page + " of " + last; }
      parts.push(el("p", "count", count));
    } else if (data.message) {
      parts.push(el("p", "count", data.message));
    }
    summary.replaceChildren.apply(summary, parts);
  }

  function render(data, kind) {
    var linkQuery = data.correction_applied ? data.corrected : data.query;
    renderSummary(data, kind);
    results.replaceChildren.apply(results, data.results.map(function (hit) {
      return hitItem(hit, linkQuery);
    }));
    results.start = (data.page - 1) * data.per_page + 1;
    renderPagination(data, kind);
    emptyHelp.hidden = !(data.query && !data.results.length);
    start.hidden = Boolean(data.query);
  }

  function showStart() {
    summary.replaceChildren();
    results.replaceChildren();
    pagination.replaceChildren();
    pagination.hidden = true;
    emptyHelp.hidden = true;
    start.hidden = false;
  }

  function selectedKind() {
    var checked = form.querySelector("input[name=kind]:checked");
    return checked ? checked.value : "";
  }

  function run() {
    var query = input.value;
    var kind = selectedKind();
    var number = ++sent;
    history.replaceState(history.state, "", query.trim() ? searchUrl(query, 1, kind) : "/");
    if (!query.trim()) {
      shown = number;
      showStart();
      return;
    }
    var params = new URLSearchParams({ q: query });
    if (kind) { params.set("kind", kind); }
    if (perArticle) { params.set("per_article", perArticle); }
    fetch(api + "?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("search failed: " + response.status); }
        return response.json();
      })
      .then(function (data) {
        // An answer older than the one on screen is stale: drop it.
        if (number <= shown) { return; }
        shown = number;
        render(data, kind);
      })
      .catch(function () {
        if (number <= shown) { return; }
        shown = number;
        summary.replaceChildren(el("p", "count", "Search is not available just now. Press Search to try again."));
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(run, DELAY_MS);
  }

  input.addEventListener("input", schedule);
  form.addEventListener("change", function (event) {
    if (event.target.name === "kind" && input.value.trim()) {
      window.clearTimeout(timer);
      run();
    }
  });

  // Down and Up move focus between the search box and the result links;
  // Enter on a focused link opens it like any link.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") { return; }
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    var links = Array.prototype.slice.call(results.querySelectorAll("a.hit-link"));
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
