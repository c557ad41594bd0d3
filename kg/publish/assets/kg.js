/* kg: the small script of the published site.
 *
 * Everything works without it; it only enhances:
 *   1. the theme button (light / dark, remembered in localStorage "kg-theme");
 *   2. search as you type: Pagefind's words fused with search by meaning (semantic.js), both
 *      loaded on first use of the search box;
 *   3. filters and sortable columns on the claims tables, and a linked claim's group opened;
 *   4. pan, zoom and hover highlighting on the graphs;
 *   5. a link to a tension on another page of the paged tensions opens that page.
 * No libraries, no analytics, and no requests except the search files (Pagefind's and semantic/)
 * once the reader searches, and tensions.json when a link names a tension on another page.
 */
(function () {
  "use strict";

  var doc = document;
  var root = doc.documentElement;

  function each(list, fn) {
    Array.prototype.forEach.call(list, fn);
  }

  function safely(name, fn) {
    try {
      fn();
    } catch (err) {
      // An enhancement that fails leaves the plain page as it is; say why, quietly.
      if (window.console && console.warn) console.warn("kg: " + name + " not enhanced:", err);
    }
  }

  /* ------------------------------------------------------------ 1. theme */

  function setupTheme() {
    var button = doc.querySelector("button.theme");
    if (!button) return;
    var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

    function effective() {
      var chosen = root.dataset.theme;
      if (chosen === "light" || chosen === "dark") return chosen;
      return media && media.matches ? "dark" : "light";
    }

    function sync() {
      var dark = effective() === "dark";
      button.setAttribute("aria-pressed", dark ? "true" : "false");
      button.title = dark ? "Dark theme (select for light)" : "Light theme (select for dark)";
    }

    button.hidden = false;
    sync();
    button.addEventListener("click", function () {
      var next = effective() === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      try {
        window.localStorage.setItem("kg-theme", next);
      } catch (err) { /* storage may be unavailable (private mode, file://): the choice lasts this page */ }
      sync();
    });
    if (media) {
      if (media.addEventListener) media.addEventListener("change", sync);
      else if (media.addListener) media.addListener(sync);
    }
  }

  /* ------------------------------------------------------------ 2. search */

  var SEARCH_OFFLINE = "Search needs the site served over http \u2014 run kg serve, or open it from a web server.";
  var SEARCH_MISSING = "Search is unavailable: its index could not be loaded.";
  var SEARCH_LIMIT = 8;
  var SEARCH_POOL = 16;  // results taken from each side before fusion
  var SEARCH_RRF_K = 10; // reciprocal-rank fusion, as `kg search` (kg.search.query.RRF_K)
  // Pagefind finds the pages that hold every word of the query. For a name or a phrase found as
  // typed that is strong evidence and counts in full; for a question whose words are merely all
  // somewhere on a page (pages quote each other's claims and titles, so common words meet on
  // many of them) it counts this share. In the demo vault, "how far behind are open models"
  // matched four pages as words and none as a phrase, and they pushed the quality gap page,
  // first by meaning, to fifth place at full weight.
  var SEARCH_LOOSE = 0.25;
  var SEARCH_WAIT = 1500;  // ms the first search waits for the meaning files before showing words alone

  function setupSearch() {
    var form = doc.querySelector("form.search");
    var input = doc.getElementById("search-box");
    var box = doc.getElementById("search-results");
    if (!form || !input || !box) return;

    var loading = null;   // the promise of the Pagefind module, once asked for
    var meaning = null;   // the promise of the meaning index (semantic.js), or of null if it cannot load
    var meaningIndex;     // that index once loaded (null: none); undefined while it loads
    var timer = 0;
    var generation = 0;   // each query gets a number; late answers to older queries are dropped
    var options = [];     // the result links shown
    var active = -1;
    var shownQuery = null;       // the query the shown results answer
    var followWhenReady = false; // Enter was pressed before the results of the query arrived
    var unavailable = location.protocol === "file:";  // browsers refuse modules from file://
    var staleCopies = new Set();  // pages whose hits only the recent index may give (see load)

    // The input becomes a combobox that owns the results listbox.
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", box.id);
    // The result list is announced through the combobox; a short status says how many there are.
    box.setAttribute("aria-live", "off");
    var status = doc.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    form.appendChild(status);

    function load() {
      if (!loading) {
        loading = (async function () {
          if (location.protocol === "file:") throw new Error("file://");
          var base = form.dataset.pagefind || (doc.body.dataset.root || "") + "pagefind/";
          var pagefind = await import(new URL(base + "pagefind.js", location.href).href);
          await pagefind.options({
            baseUrl: new URL(doc.body.dataset.root || "./", location.href).pathname,
            excerptLength: 22
          });
          await pagefind.init();
          // A large site's index is in shards (pagefind/, pagefind-1/, ...: kg.publish.shards),
          // merged here; a site without pagefind-shards.json has one.
          var root = new URL(doc.body.dataset.root || "./", location.href);
          var state = {};
          try {
            var counted = await fetch(new URL("pagefind-shards.json", root).href);
            if (counted.ok) state = await counted.json();
          } catch (err) { /* one index */ }
          for (var i = 1; i < (state.shards || 1); i++) {
            await pagefind.mergeIndex(new URL("pagefind-" + i + "/", root).pathname,
                                      { baseUrl: root.pathname });
          }
          // The pages edited since their shards were indexed: the shards' copies are stale, the
          // recent index holds the pages as they are now (kg.publish.shards.update).
          (state.recent || []).forEach(function (path) {
            staleCopies.add(pageOf(new URL(path, root).href).replace(/index\.html$/, ""));
          });
          if (state.recent_index) {
            await pagefind.mergeIndex(new URL("pagefind-recent/", root).pathname, { baseUrl: root.pathname });
          }
          return pagefind;
        })();
        loading.catch(function () { /* reported when the reader searches */ });
      }
      return loading;
    }

    // Search by meaning: its module and files are read on the first search. Any failure (files
    // missing, an old browser) leaves search by words as it was, without a word to the reader.
    function loadMeaning() {
      if (!meaning) {
        meaning = (async function () {
          if (location.protocol === "file:") return null;
          var root = new URL(doc.body.dataset.root || "./", location.href);
          var base = new URL("semantic/", root);
          var module = await import(new URL("assets/semantic.js", root).href);
          return await module.open(base.href, root.href);
        })().catch(function () { return null; });
        meaning.then(function (index) { meaningIndex = index; });
      }
      return meaning;
    }

    // The meaning index if it is ready within SEARCH_WAIT (the first search, on a slow line, shows
    // Pagefind's results first and is run again once the files are in); null if there is none.
    async function meaningSoon(query, mine, needed) {
      loadMeaning();
      if (meaningIndex === undefined && !needed) {
        await Promise.race([meaning, new Promise(function (done) { setTimeout(done, SEARCH_WAIT); })]);
      }
      if (meaningIndex !== undefined) return meaningIndex;
      if (needed) return meaning;
      meaning.then(function (index) { if (index && mine === generation) run(query); });
      return null;
    }

    // The page a result shows, whichever side found it: its path, without #fragment or ?query.
    function pageOf(url) {
      try {
        return new URL(url, location.href).pathname;
      } catch (err) {
        return url;
      }
    }

    // Reciprocal-rank fusion of Pagefind's results (data objects) and the meaning results;
    // a page both found keeps Pagefind's link and excerpt, one found by meaning alone shows its
    // best passage and links to its sentence. Ties go to the word match.
    function fuse(words, meanings) {
      var byPage = {};
      var list = [];
      function entry(page) {
        if (!byPage[page]) {
          byPage[page] = { score: 0, words: Infinity, meaning: Infinity, data: null };
          list.push(byPage[page]);
        }
        return byPage[page];
      }
      words.forEach(function (found, rank) {
        var e = entry(pageOf(found.data.url));
        if (e.words !== Infinity) return;
        e.words = rank;
        e.score += found.weight / (SEARCH_RRF_K + rank + 1);
        e.data = found.data;
      });
      meanings.forEach(function (hit, rank) {
        var e = entry(hit.page);
        if (e.meaning !== Infinity) return;
        e.meaning = rank;
        e.score += 1 / (SEARCH_RRF_K + rank + 1);
        if (!e.data) e.data = { url: hit.url, meta: { title: hit.title }, text: hit.text };
      });
      list.sort(function (a, b) {
        return b.score - a.score || a.words - b.words || a.meaning - b.meaning;
      });
      return list.map(function (e) { return e.data; });
    }

    function open() {
      box.hidden = false;
      input.setAttribute("aria-expanded", options.length ? "true" : "false");
    }

    function close() {
      box.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }

    function clear() {
      options = [];
      shownQuery = null;
      active = -1;
      input.removeAttribute("aria-activedescendant");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
      box.textContent = "";
    }

    function message(text) {
      clear();
      followWhenReady = false;
      var p = doc.createElement("p");
      p.className = "search-message";
      p.textContent = text;
      box.appendChild(p);
      status.textContent = text;
      open();
    }

    function setActive(index) {
      if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
      active = index;
      if (active >= 0 && options[active]) {
        var option = options[active];
        option.setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", option.id);
        if (option.scrollIntoView) option.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    // Pagefind's excerpts hold text and <mark> only; keep exactly that, whatever arrives.
    function appendExcerpt(html, into) {
      var template = doc.createElement("template");
      template.innerHTML = html || "";
      (function copy(from, to) {
        each(from.childNodes, function (node) {
          if (node.nodeType === 3) {
            to.appendChild(doc.createTextNode(node.nodeValue));
          } else if (node.nodeType === 1) {
            var target = to;
            if (node.nodeName === "MARK") {
              target = doc.createElement("mark");
              to.appendChild(target);
            }
            copy(node, target);
          }
        });
      })(template.content, into);
    }

    function render(results, query) {
      clear();
      if (!results.length) {
        message("No results for \u201c" + query + "\u201d.");
        return;
      }
      shownQuery = query;
      box.setAttribute("role", "listbox");
      box.setAttribute("aria-label", "Search results");
      results.forEach(function (data, i) {
        var a = doc.createElement("a");
        a.className = "search-result";
        a.id = "search-result-" + i;
        a.href = data.url;
        a.setAttribute("role", "option");
        a.setAttribute("aria-selected", "false");
        a.tabIndex = -1;
        var title = doc.createElement("span");
        title.className = "search-result-title";
        title.textContent = (data.meta && data.meta.title) || data.url;
        var excerpt = doc.createElement("span");
        excerpt.className = "search-result-excerpt";
        if (data.excerpt !== undefined) appendExcerpt(data.excerpt, excerpt);
        else excerpt.textContent = data.text || "";
        a.appendChild(title);
        a.appendChild(excerpt);
        a.addEventListener("mousemove", function () {
          if (active !== i) setActive(i);
        });
        box.appendChild(a);
        options.push(a);
      });
      status.textContent = results.length === 1 ? "1 result" : results.length + " results";
      open();
      if (followWhenReady) {
        followWhenReady = false;
        follow(-1);
      }
    }

    async function run(query) {
      var mine = ++generation;
      loadMeaning();
      var pagefind = await load().catch(function () { return null; });
      if (mine !== generation) return;
      var index = await meaningSoon(query, mine, !pagefind);
      if (mine !== generation) return;
      unavailable = !pagefind && !index;
      if (unavailable) {
        message(location.protocol === "file:" ? SEARCH_OFFLINE : SEARCH_MISSING);
        return;
      }
      var words = [], meanings = [], failure = null;
      if (pagefind) {
        try {
          var found = await pagefind.search(query);
          if (mine !== generation) return;
          var top = found && found.results ? found.results.slice(0, SEARCH_POOL) : [];
          var exact = null;  // the pages that hold the query as typed (a one-word query: all of them)
          if (top.length && /\s/.test(query) && index) {
            var phrase = await pagefind.search("\"" + query.replace(/"/g, " ") + "\"");
            exact = new Set((phrase && phrase.results ? phrase.results : []).map(function (r) { return r.id; }));
          }
          var data = await Promise.all(top.map(function (r) { return r.data(); }));
          if (mine !== generation) return;
          words = top.map(function (r, i) {
            return { data: data[i], weight: !exact || exact.has(r.id) ? 1 : SEARCH_LOOSE };
          }).filter(function (found) {  // a shard's copy of a page edited or removed since
            return !staleCopies.has(pageOf(found.data.url).replace(/index\.html$/, "")) ||
              (found.data.meta || {})["kg-layer"] === "recent";  // (Pagefind drops index.html from URLs)
          });
        } catch (err) {
          failure = err;
        }
      }
      if (index) {
        try {
          meanings = index.search(query, SEARCH_POOL);
        } catch (err) {
          if (window.console && console.warn) console.warn("kg: search by meaning failed:", err);
        }
      }
      if (failure && !meanings.length) {
        message("Search failed: " + (failure && failure.message ? failure.message : "unknown error") + ".");
        return;
      }
      render(fuse(words, meanings).slice(0, SEARCH_LIMIT), query);
    }

    function follow(index) {
      var target = options[index >= 0 ? index : 0];
      if (target) window.location.href = target.href;
    }

    input.addEventListener("focus", function () {
      if (location.protocol !== "file:") load();
      if (input.value.trim() && box.childNodes.length) open();
    });

    input.addEventListener("input", function () {
      clearTimeout(timer);
      followWhenReady = false;
      var query = input.value.trim();
      if (!query) {
        generation++;
        clear();
        close();
        status.textContent = "";
        return;
      }
      timer = setTimeout(function () { run(query); }, 150);
    });

    input.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
      var key = event.key;
      if (key === "ArrowDown" || key === "ArrowUp") {
        if (!options.length) return;
        event.preventDefault();
        if (box.hidden) open();
        var step = key === "ArrowDown" ? 1 : -1;
        var next = active + step;
        if (next >= options.length) next = 0;
        if (next < 0) next = options.length - 1;
        setActive(next);
      } else if (key === "Enter") {
        var query = input.value.trim();
        if (!query || unavailable) return;  // the form's own submission (the list of concepts)
        event.preventDefault();
        if (options.length && shownQuery === query) {
          follow(box.hidden ? -1 : active);
        } else {
          // The results of this query are not shown yet: search now, open the first when it comes.
          clearTimeout(timer);
          followWhenReady = true;
          run(query);
        }
      } else if (key === "Escape") {
        if (!box.hidden) {
          event.preventDefault();
          close();
        }
      }
    });

    form.addEventListener("submit", function (event) {
      if (options.length && shownQuery === input.value.trim()) {
        event.preventDefault();
        follow(active);
      }
    });

    doc.addEventListener("pointerdown", function (event) {
      if (!box.hidden && !form.contains(event.target)) close();
    });

    form.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !form.contains(event.relatedTarget)) close();
    });
  }

  /* ------------------------------------------------------------ 3. claims table */

  function setupClaimsTable() {
    var tables = Array.prototype.slice.call(doc.querySelectorAll("table.claims-table"));
    if (!tables.length) return;
    var rows = [];
    tables.forEach(function (table) {
      if (!table.tBodies.length) return;
      rows = rows.concat(Array.prototype.slice.call(table.tBodies[0].rows));
      setupSorting(table, table.tBodies[0]);
    });
    var form = doc.querySelector("form.filters");
    if (form) setupFilters(form, rows);
  }

  // A link to a claim inside a closed group (claims.html#claim-…) opens the group.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && doc.getElementById(id);
    var opened = false;
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS" && !el.open) {
        el.open = true;
        opened = true;
      }
    }
    if (opened && target.scrollIntoView) target.scrollIntoView();
  }

  // A link to a tension (tensions.html#tension-…, its IRI in the linked data) when the tensions are
  // paged and it is on another page: tensions.json lists each page's tensions (kg.publish.indexes).
  async function findTension() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (id.indexOf("tension-") !== 0 || doc.getElementById(id)) return;
    if (!/^tensions(-\d+)?\.html$/.test(doc.body.dataset.page || "")) return;
    var root = new URL(doc.body.dataset.root || "./", location.href);
    var found = await fetch(new URL("tensions.json", root).href);
    if (!found.ok) return;
    var pages = await found.json();  // [[ids of page 1], [ids of page 2], ...]
    for (var n = 0; n < pages.length; n++) {
      if (pages[n].indexOf(id.slice("tension-".length)) >= 0) {
        location.replace(new URL((n ? "tensions-" + (n + 1) : "tensions") + ".html" + location.hash, root).href);
        return;
      }
    }
  }

  function setupFilters(form, rows) {
    var names = ["status", "quantity", "origin"];
    var output = form.querySelector("output.shown");
    var params = new URLSearchParams(location.search);

    names.forEach(function (name) {
      var select = form.elements[name];
      var wanted = params.get(name);
      if (!select || wanted === null) return;
      var known = Array.prototype.some.call(select.options, function (o) { return o.value === wanted; });
      if (known) select.value = wanted;
    });

    function value(name) {
      var select = form.elements[name];
      return select ? select.value : "";
    }

    function matches(row, status, quantity, origin) {
      if (status && (row.dataset.status || "none") !== status) return false;
      if (origin && (row.dataset.origin || "") !== origin) return false;
      if (quantity) {
        var kinds = (row.dataset.quantity || "").trim();
        if (quantity === "*") return kinds !== "";
        return kinds.split(/\s+/).indexOf(quantity) !== -1;
      }
      return true;
    }

    function apply() {
      var status = value("status"), quantity = value("quantity"), origin = value("origin");
      var shown = 0;
      var filtered = !!(status || quantity || origin);
      rows.forEach(function (row) {
        var keep = matches(row, status, quantity, origin);
        row.hidden = !keep;
        if (keep) shown++;
      });
      // Groups: hidden when none of their claims is shown; opened while a filter is on.
      each(doc.querySelectorAll("details.claim-group"), function (group) {
        var visible = group.querySelectorAll("tbody tr:not([hidden])").length;
        group.hidden = visible === 0;
        if (filtered) group.open = visible > 0;
        var count = group.querySelector(".group-counts .n");
        if (count) count.textContent = filtered ? visible + " of " + group.querySelectorAll("tbody tr").length : group.querySelectorAll("tbody tr").length;
      });
      // (a claims index of several pages filters the page it is on: say so; its pager keeps the filter)
      if (output) output.textContent = shown + " of " + rows.length + " claims" +
        (document.querySelector("nav.pager") ? " on this page" : "");

      var query = new URLSearchParams(location.search);
      names.forEach(function (name) {
        var v = value(name);
        if (v) query.set(name, v);
        else query.delete(name);
      });
      var search = query.toString();
      // the pager keeps the filter: the next page opens filtered alike
      each(doc.querySelectorAll("nav.pager a[href]"), function (link) {
        var page = link.getAttribute("href").split("?")[0].split("#")[0];
        link.setAttribute("href", page + (search ? "?" + search : ""));
      });
      var url = location.pathname + (search ? "?" + search : "") + location.hash;
      try {
        if (url !== location.pathname + location.search + location.hash) history.replaceState(history.state, "", url);
      } catch (err) { /* some file:// setups refuse replaceState; the filter still works */ }
    }

    form.hidden = false;
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
    apply();
  }

  function setupSorting(table, body) {
    var heads = table.querySelectorAll("thead th[data-sort]");
    each(heads, function (th) {
      var column = th.cellIndex;
      var numeric = th.dataset.sort === "number";
      var button = doc.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);

      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        each(heads, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");

        var rows = Array.prototype.slice.call(body.rows);
        var keyed = rows.map(function (row) {
          var cell = row.cells[column];
          var key;
          if (!cell) key = null;
          else if (numeric) {
            key = parseFloat(cell.dataset.value);
            if (isNaN(key)) key = null;
          } else {
            key = cell.textContent.replace(/\s+/g, " ").trim();
            if (!key) key = null;
          }
          return { row: row, key: key };
        });
        keyed.sort(function (a, b) {
          // Empty cells go last whichever the direction.
          if (a.key === null || b.key === null) return (a.key === null) - (b.key === null);
          var order = numeric ? a.key - b.key
            : a.key.localeCompare(b.key, undefined, { numeric: true, sensitivity: "base" });
          return ascending ? order : -order;
        });
        var fragment = doc.createDocumentFragment();
        keyed.forEach(function (k) { fragment.appendChild(k.row); });
        body.appendChild(fragment);
      });
    });
  }

  /* ------------------------------------------------------------ 4. graphs */

  // Hover and focus: mark a node, its neighbours and the edges between them.
  function setupHighlight(svg) {
    var edges = svg.querySelectorAll("line.edge");
    var nodes = {};
    each(svg.querySelectorAll("a.node"), function (node) {
      if (node.dataset.id) nodes[node.dataset.id] = node;
    });
    var links = {};  // node id -> list of {edge, other}
    each(edges, function (edge) {
      var a = edge.dataset.from, b = edge.dataset.to;
      if (!a || !b) return;
      (links[a] = links[a] || []).push({ edge: edge, other: b });
      (links[b] = links[b] || []).push({ edge: edge, other: a });
    });

    var marked = [];
    var current = null;

    function clear() {
      marked.forEach(function (el) { el.classList.remove("near", "active"); });
      marked = [];
      svg.classList.remove("hovering");
      current = null;
    }

    function mark(node) {
      if (node === current) return;
      clear();
      current = node;
      svg.classList.add("hovering");
      node.classList.add("near", "active");
      marked.push(node);
      (links[node.dataset.id] || []).forEach(function (link) {
        link.edge.classList.add("near");
        marked.push(link.edge);
        var other = nodes[link.other];
        if (other) {
          other.classList.add("near");
          marked.push(other);
        }
      });
    }

    function nodeOf(target) {
      return target && target.closest ? target.closest("a.node") : null;
    }

    var api = { paused: false };
    svg.addEventListener("mouseover", function (event) {
      if (api.paused) return;
      var node = nodeOf(event.target);
      if (node && svg.contains(node)) mark(node);
    });
    svg.addEventListener("mouseout", function (event) {
      if (api.paused) return;
      var to = nodeOf(event.relatedTarget);
      if (to && svg.contains(to)) return;
      if (svg.contains(doc.activeElement) && nodeOf(doc.activeElement)) {
        mark(nodeOf(doc.activeElement));
        return;
      }
      clear();
    });
    svg.addEventListener("focusin", function (event) {
      var node = nodeOf(event.target);
      if (node) mark(node);
    });
    svg.addEventListener("focusout", function (event) {
      var to = nodeOf(event.relatedTarget);
      if (to && svg.contains(to)) return;
      clear();
    });
    api.clear = clear;
    return api;
  }

  function setupGlobalGraph(container) {
    var svg = container.querySelector("svg");
    var viewport = svg && svg.querySelector("g.viewport");
    if (!svg || !viewport) return;

    var highlight = setupHighlight(svg);
    var view = { x: 0, y: 0, k: 1 };
    var MIN = 0.3, MAX = 8;
    var box = svg.viewBox && svg.viewBox.baseVal;
    var centre = box && box.width ? { x: box.x + box.width / 2, y: box.y + box.height / 2 } : { x: 0, y: 0 };

    if (!container.hasAttribute("tabindex")) container.tabIndex = 0;
    if (!container.hasAttribute("role")) container.setAttribute("role", "group");
    if (!container.hasAttribute("aria-label")) {
      container.setAttribute("aria-label",
        "Graph of concepts. Drag to pan; scroll, or press + and \u2212 to zoom, 0 to reset, arrow keys to pan.");
    }

    function draw() {
      viewport.setAttribute("transform",
        "translate(" + view.x.toFixed(2) + " " + view.y.toFixed(2) + ") scale(" + view.k.toFixed(4) + ")");
      svg.style.setProperty("--label-scale", (1 / Math.sqrt(view.k)).toFixed(4));
    }

    // A point on the screen in the svg's own coordinates (before the viewport transform).
    function toSvg(clientX, clientY) {
      var matrix = svg.getScreenCTM();
      if (!matrix) return { x: clientX, y: clientY };
      var inverse = matrix.inverse();
      return {
        x: inverse.a * clientX + inverse.c * clientY + inverse.e,
        y: inverse.b * clientX + inverse.d * clientY + inverse.f
      };
    }

    function zoomAt(point, factor) {
      var k = Math.min(MAX, Math.max(MIN, view.k * factor));
      var ratio = k / view.k;
      view.x = point.x - (point.x - view.x) * ratio;
      view.y = point.y - (point.y - view.y) * ratio;
      view.k = k;
      draw();
    }

    function reset() {
      view = { x: 0, y: 0, k: 1 };
      draw();
    }

    // Wheel zoom, around the pointer.
    svg.addEventListener("wheel", function (event) {
      if (event.ctrlKey && !event.deltaY) return;
      event.preventDefault();
      var delta = event.deltaY * (event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1);
      zoomAt(toSvg(event.clientX, event.clientY), Math.exp(-delta * 0.0015));
    }, { passive: false });

    // Drag to pan; two fingers pinch to zoom. A press that moves is a drag and does not follow a link.
    var pointers = {};
    var drag = null;
    var pinch = null;
    var suppressClick = false;
    var THRESHOLD = 4;

    function pointerList() {
      return Object.keys(pointers).map(function (id) { return pointers[id]; });
    }

    svg.addEventListener("pointerdown", function (event) {
      if (event.pointerType === "mouse" && event.button !== 0) return;
      pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
      suppressClick = false;
      var list = pointerList();
      if (list.length === 1) {
        drag = { id: event.pointerId, startX: event.clientX, startY: event.clientY,
                 from: toSvg(event.clientX, event.clientY), view: { x: view.x, y: view.y }, moved: false };
      } else if (list.length === 2) {
        drag = null;
        var a = list[0], b = list[1];
        pinch = { distance: Math.hypot(a.x - b.x, a.y - b.y) || 1 };
        suppressClick = true;
        try { svg.setPointerCapture(event.pointerId); } catch (err) { /* not capturable */ }
      }
    });

    svg.addEventListener("pointermove", function (event) {
      if (!pointers[event.pointerId]) return;
      pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
      if (pinch) {
        var list = pointerList();
        if (list.length < 2) return;
        var a = list[0], b = list[1];
        var distance = Math.hypot(a.x - b.x, a.y - b.y) || 1;
        zoomAt(toSvg((a.x + b.x) / 2, (a.y + b.y) / 2), distance / pinch.distance);
        pinch.distance = distance;
        return;
      }
      if (!drag || drag.id !== event.pointerId) return;
      if (!drag.moved) {
        if (Math.abs(event.clientX - drag.startX) < THRESHOLD && Math.abs(event.clientY - drag.startY) < THRESHOLD) return;
        drag.moved = true;
        suppressClick = true;
        container.classList.add("dragging");
        highlight.paused = true;
        highlight.clear();
        try { svg.setPointerCapture(event.pointerId); } catch (err) { /* not capturable */ }
      }
      var at = toSvg(event.clientX, event.clientY);
      view.x = drag.view.x + (at.x - drag.from.x);
      view.y = drag.view.y + (at.y - drag.from.y);
      draw();
    });

    function release(event) {
      delete pointers[event.pointerId];
      if (pinch && pointerList().length < 2) pinch = null;
      if (drag && drag.id === event.pointerId) {
        drag = null;
        container.classList.remove("dragging");
        highlight.paused = false;
      }
    }
    svg.addEventListener("pointerup", release);
    svg.addEventListener("pointercancel", release);

    // After a drag, the click that ends it must not open the node under the pointer.
    svg.addEventListener("click", function (event) {
      if (suppressClick) {
        event.preventDefault();
        event.stopPropagation();
        suppressClick = false;
      }
    }, true);
    svg.addEventListener("dragstart", function (event) { event.preventDefault(); });

    // Keys, when the graph (or a node in it) has focus.
    container.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var step = 40;
      switch (event.key) {
        case "+": case "=": zoomAt(centre, 1.25); break;
        case "-": case "_": case "\u2212": zoomAt(centre, 0.8); break;
        case "0": reset(); break;
        case "ArrowLeft": view.x += step; draw(); break;
        case "ArrowRight": view.x -= step; draw(); break;
        case "ArrowUp": view.y += step; draw(); break;
        case "ArrowDown": view.y -= step; draw(); break;
        default: return;
      }
      event.preventDefault();
    });

    draw();
  }

  function setupGraphs() {
    each(doc.querySelectorAll(".js-only"), function (el) { el.hidden = false; });
    each(doc.querySelectorAll("[data-graph]"), function (container) {
      safely("graph", function () { setupGlobalGraph(container); });
    });
    each(doc.querySelectorAll("section.local-graph svg"), function (svg) {
      safely("local graph", function () { setupHighlight(svg); });
    });
  }

  /* ------------------------------------------------------------ start */

  function start() {
    safely("theme", setupTheme);
    safely("search", setupSearch);
    safely("claims table", setupClaimsTable);
    safely("open target", function () {
      if (location.hash) openTarget();
      window.addEventListener("hashchange", openTarget);
    });
    safely("tension", function () {
      if (location.hash) findTension().catch(function () { /* the first page, as it is */ });
    });
    safely("graphs", setupGraphs);
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start);
  else start();
})();
