/* Projector Portals: the recommendation page of one portal (recommend.html).
 *
 * Static, and fetched as needed (site_builder/site/recommend.py describes the files): the
 * portal's recommend.json, a small index (labels, counts, colours), first; the block holding
 * a point's neighbours, their evidence and its metadata when the point is shown (a deep
 * link's block is asked for beside the index); the vectors (int8 or float16 unit vectors)
 * the first time a taste is ranked. A point with a picture shows its own small WebP file;
 * the others are drawn as cards, the label on the point's colour, as the map draws them.
 *
 * The state lives in the URL's hash, so any view can be shared:
 *   #item=12                  point 12 and its neighbours
 *   #like=1,5,9&dislike=3     all points ranked by the taste
 *   #item=12&like=1,5         point 12, with a taste kept for later
 * Point numbers are rows of the portal's metadata, as in the projector.
 *
 * An ES module (deferred: it runs once the page is parsed). What needs no page (folding the
 * query, the hash, decoding the vectors, ranking a taste) lives in recommend-core.js, where
 * tests/js/ checks it against the cases of its Python twins.
 */
import {
  closestLiked, decodeVectors, fold, formatNumber, hashOf, isolate, placeRows, plural, probeClusters, rankSuggestions, rankTaste,
  readProbe, similarityText, splitValues, stateFromHash, tasteNote, tasteQuery,
} from "./recommend-core.js";

var page = document.querySelector("[data-recommend]");
if (page) recommendationPage(page);

function recommendationPage(root) {
  var input = document.getElementById("rec-input");
  var listbox = document.getElementById("rec-options");
  var statusLine = document.getElementById("rec-status");
  var resultBox = document.getElementById("rec-result");
  var tasteBox = document.getElementById("rec-taste");
  var chipList = document.getElementById("rec-chips");
  var tasteActions = document.getElementById("rec-taste-actions");
  var aboutText = document.getElementById("rec-about-text");
  var dataUrl = new URL(root.getAttribute("data-data"), document.baseURI);
  var blocksUrl = new URL(root.getAttribute("data-blocks"), document.baseURI);
  var blockSize = Number(root.getAttribute("data-block-size")) || 0;
  var mapUrl = root.getAttribute("data-map");
  var baseTitle = document.title;
  statusLine.textContent = statusLine.getAttribute("data-loading") || ""; // empty without JavaScript

  var MAX_SUGGESTIONS = 8;

  var data = null;          // recommend.json
  var blocks = {};          // block URL -> promise of the block
  var settled = {};         // block URL -> the block, once it has arrived
  var keys = null;          // the search keys, folded from the labels on the first search
  var withPicture = null;   // Uint8Array: 1 for the points that have a picture file
  var unit = null;          // Float32Array N x D of unit vectors, filled as they arrive
  var loaded = null;        // Uint8Array N: 1 for the points whose vectors have arrived (a large portal's parts)
  var loadedCount = 0;      // how many have
  var vectorsPromise = null; // the whole vectors file of a small portal
  var probe = null;         // a large portal's probe.bin, read (readProbe)
  var probePromise = null;
  var earlyProbe = null;    // probe.bin asked for beside the index (a taste's deep link), until read
  var partPromises = {};    // cluster -> promise of its part, loaded once
  var partsDone = 0;
  var suggestions = [];     // point indices in the open listbox
  var active = -1;          // highlighted suggestion
  var renderToken = 0;
  // milliseconds since navigation (start: this script ran; data: recommend.json parsed; firstResult:
  // the first item or taste result shown) and durations (vectors: fetch + decode; rank: one taste
  // ranking; keys: folding every label into a search key)
  var timing = { start: performance.now() };
  window.recommendPage = { timing: timing, fold: fold };

  // ------------------------------------------------------------ helpers

  function h(tag, attributes) {
    var element = document.createElement(tag);
    if (attributes) {
      for (var name in attributes) {
        var value = attributes[name];
        if (value === null || value === undefined || value === false) continue;
        if (name === "text") element.textContent = value;
        else if (name === "className") element.className = value;
        else element.setAttribute(name, value === true ? "" : value);
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      element.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return element;
  }

  function say(text) { statusLine.textContent = text; }

  // ------------------------------------------------------------ blocks

  // The block holding point `point` (a promise), fetched once. Before the index has arrived the
  // page's own data-blocks names the folder; the index names it after.
  function blockUrl(point) {
    var size = data ? data.blocks.size : blockSize;
    var folder = data ? new URL(data.blocks.path, dataUrl) : blocksUrl;
    return new URL(Math.floor(point / size) + ".json", folder).href;
  }

  // A file's response, or the error to show: a file of the versioned folder gone since the page
  // opened means the site was deployed again.
  function answered(response, what) {
    if (response.status === 404) throw new Error("this site has been updated since the page was opened: reload the page");
    if (!response.ok) throw new Error(what + " answered " + response.status);
    return response;
  }

  function fetchBuffer(url, what) {
    return fetch(url).then(function (response) { return answered(response, what).arrayBuffer(); });
  }

  function loadBlock(point) {
    var url = blockUrl(point);
    if (!blocks[url]) {
      blocks[url] = fetch(url).then(function (response) {
        return answered(response, "the data").json();
      }).then(function (block) {
        settled[url] = block;
        return block;
      });
      blocks[url].catch(function () { delete blocks[url]; });
    }
    return blocks[url];
  }

  // What the block says of its point `point`: neighbour j's number, score and evidence at slot j.
  function pointView(block, point) {
    var at = point - block.first, k = data.k;
    return {
      point: point,
      neighbour: function (slot) { return block.neighbours[at * k + slot]; },
      score: function (slot) { return block.scores[at * k + slot] / data.score_scale; },
      common: function (slot) { return block.common[at * k + slot]; },
      mask: function (shared, slot) { return block.masks[shared][at * k + slot]; },
      cell: function (column) { return block.cells[column][at]; },
    };
  }

  // ------------------------------------------------------------ state in the hash

  function parseHash() { return stateFromHash(location.hash, data.count); }

  function go(state) {
    var hash = hashOf(state);
    if ((location.hash || "#") === hash) render(); else location.hash = hash;
  }

  // ------------------------------------------------------------ pictures

  // A point's picture file, multiplied by the point's colour as the map draws it (site.css); or,
  // for a point without one, its card: the label in dark ink on its colour (colour only when small).
  function picture(i, className) {
    var element = h("span", { className: "rec-picture" + (className ? " " + className : ""), "aria-hidden": "true" });
    if (data.tints) element.style.backgroundColor = data.tints.palette[data.tints.of[i]];
    if (withPicture && withPicture[i]) {
      var url = new URL(data.pictures.path + i + ".webp", dataUrl).href;
      element.style.backgroundImage = 'url("' + url.replace(/"/g, "%22") + '")';
    } else {
      element.classList.add("rec-drawn");
      if (className !== "rec-picture-small") element.appendChild(h("span", { text: data.labels[i] }));
    }
    return element;
  }

  // ------------------------------------------------------------ type-ahead

  function openSuggestions() {
    if (!data) return;
    if (!keys) {
      var started = performance.now();
      keys = data.labels.map(fold);
      timing.keys = performance.now() - started;
    }
    suggestions = rankSuggestions(input.value, keys, data.counts, MAX_SUGGESTIONS);
    active = -1;
    listbox.textContent = "";
    suggestions.forEach(function (point, n) {
      var option = h("li", { role: "option", id: "rec-option-" + n, "aria-selected": "false", "data-point": point },
        picture(point, "rec-picture-small"),
        h("span", { className: "rec-option-label", text: data.labels[point] }));
      option.addEventListener("mousedown", function (event) { event.preventDefault(); choose(n); });
      listbox.appendChild(option);
    });
    var open = suggestions.length > 0;
    listbox.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    input.removeAttribute("aria-activedescendant");
    if (input.value.trim() && !open) say("Nothing matches “" + input.value.trim() + "”.");
    else if (open) say(plural(suggestions.length, "suggestion", "suggestions") + ".");
  }

  function closeSuggestions() {
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(n) {
    var options = listbox.children;
    for (var i = 0; i < options.length; i++) options[i].setAttribute("aria-selected", i === n ? "true" : "false");
    active = n;
    if (n >= 0) {
      input.setAttribute("aria-activedescendant", "rec-option-" + n);
      options[n].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function choose(n) {
    var point = suggestions[n];
    if (point === undefined) return;
    input.value = data.labels[point];
    closeSuggestions();
    var state = parseHash();
    state.item = point;
    go(state);
  }

  input.addEventListener("input", openSuggestions);
  input.addEventListener("focus", function () { if (input.value.trim() && listbox.hidden) openSuggestions(); });
  input.addEventListener("blur", function () { setTimeout(closeSuggestions, 0); });
  input.addEventListener("keydown", function (event) {
    var open = !listbox.hidden;
    if (event.key === "ArrowDown" || event.key === "Down") {
      event.preventDefault();
      if (!open) { openSuggestions(); if (suggestions.length) highlight(0); return; }
      highlight(active + 1 >= suggestions.length ? 0 : active + 1);
    } else if (event.key === "ArrowUp" || event.key === "Up") {
      event.preventDefault();
      if (!open) { openSuggestions(); if (suggestions.length) highlight(suggestions.length - 1); return; }
      highlight(active <= 0 ? suggestions.length - 1 : active - 1);
    } else if (event.key === "Enter") {
      if (open && suggestions.length) { event.preventDefault(); choose(active >= 0 ? active : 0); }
    } else if (event.key === "Escape" || event.key === "Esc") {
      if (open) { event.preventDefault(); closeSuggestions(); }
      else if (input.value) { event.preventDefault(); input.value = ""; say(""); }
    } else if (event.key === "Tab") {
      closeSuggestions();
    }
  });

  // ------------------------------------------------------------ cards

  // What point `view.point` and its neighbour at `slot` have in common (a single-valued column
  // counts only when both have the same value, so the point's own value is the neighbour's).
  function evidence(view, slot) {
    var e = data.evidence, parts = [];
    parts.push(plural(view.common(slot), e.noun_one, e.noun) + " in common");
    var order = e.shared.map(function (s, n) { return n; });
    order.sort(function (a, b) { return (e.shared[b].multi ? 1 : 0) - (e.shared[a].multi ? 1 : 0) || a - b; });
    order.forEach(function (n) {
      var shared = e.shared[n], mask = view.mask(n, slot);
      if (!mask) return;
      var column = data.columns[shared.column], own = view.cell(shared.column);
      if (shared.multi) {
        var values = splitValues(own).filter(function (_, bit) { return mask & (1 << bit); });
        if (values.length) parts.push("shared " + column.title.toLowerCase() + ": " + values.join(", "));
      } else {
        parts.push("same " + column.title.toLowerCase() + ": " + own);
      }
    });
    var text = parts.join(" · ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function tasteButtons(point, state) {
    var liked = state.like.indexOf(point) >= 0, disliked = state.dislike.indexOf(point) >= 0;
    function button(kind, pressed, text) {
      var b = h("button", { type: "button", className: "rec-toggle rec-" + kind, "aria-pressed": pressed ? "true" : "false",
                            "data-focus": kind + "-" + point, "aria-label": text + ": " + data.labels[point] },
        (pressed ? "✓ " : "") + text);
      b.addEventListener("click", function () { toggleTaste(point, kind); });
      return b;
    }
    return [button("like", liked, "Like"), button("dislike", disliked, "Dislike")];
  }

  function toggleTaste(point, kind) {
    var state = parseHash();
    var mine = kind === "like" ? state.like : state.dislike;
    var other = kind === "like" ? state.dislike : state.like;
    var at = mine.indexOf(point);
    if (at >= 0) mine.splice(at, 1);
    else { mine.push(point); var o = other.indexOf(point); if (o >= 0) other.splice(o, 1); }
    go(state);
  }

  function mapLink(point) {
    return h("a", { className: "rec-map", href: mapUrl + "#item=" + point, "aria-label": "Show " + data.labels[point] + " on the map" },
      "On the map");
  }

  function card(point, rank, scoreText, scoreLabel, evidenceText, state) {
    var itemState = { item: point, like: state.like, dislike: state.dislike };
    var links = h("p", { className: "rec-card-links" }, mapLink(point));
    tasteButtons(point, state).forEach(function (b) { links.appendChild(b); });
    return h("li", { className: "rec-card", "data-point": point },
      picture(point),
      h("div", { className: "rec-card-body" },
        h("a", { className: "rec-card-title", href: hashOf(itemState), "data-focus": "open-" + point, text: data.labels[point] }),
        scoreText === null ? null : h("p", { className: "rec-score" },
          h("span", { className: "rec-rank", text: "#" + rank }), " " + scoreLabel + " ",
          h("strong", { className: "rec-score-value", text: scoreText })),
        h("p", { className: "rec-evidence", text: evidenceText }),
        links));
  }

  function metadataList(view) {
    var point = view.point;
    var noun = data.evidence.noun;
    var counted = data.columns.some(function (column) { return column.name === "num_ratings"; });
    var list = h("dl", { className: "rec-meta" }, counted ? null :
      h("div", null, h("dt", { text: noun.charAt(0).toUpperCase() + noun.slice(1) }),
        h("dd", { text: formatNumber(data.counts[point]) })));
    data.columns.forEach(function (column, n) {
      var value = view.cell(n);
      if (!value) return;
      if (column.multi) value = splitValues(value).join(", ");
      list.appendChild(h("div", null, h("dt", { text: column.title }), h("dd", { text: value })));
    });
    return list;
  }

  // ------------------------------------------------------------ views

  function renderItem(point, state) {
    var url = blockUrl(point);
    if (settled[url]) { showItem(pointView(settled[url], point), state); return; }
    var token = renderToken;
    show(h("p", { className: "rec-loading", text: "Loading " + isolate(data.labels[point]) + "…" }));
    loadBlock(point).then(function (block) {
      if (token === renderToken) showItem(pointView(block, point), state);
    }, function (error) {
      if (token !== renderToken) return;
      show(h("p", { className: "rec-error", text: "Could not load " + isolate(data.labels[point]) + ": " + error.message + "." }), true);
      say("Could not load " + isolate(data.labels[point]) + ".");
    });
  }

  function showItem(view, state) {
    var point = view.point, k = data.k, label = data.labels[point];
    var actions = h("p", { className: "rec-actions" }, mapLink(point));
    tasteButtons(point, state).forEach(function (b) { actions.appendChild(b); });
    var cards = h("ol", { className: "rec-cards" });
    for (var slot = 0; slot < k; slot++) {
      var score = similarityText(view.score(slot));
      cards.appendChild(card(view.neighbour(slot), slot + 1, score, "similarity", evidence(view, slot), state));
    }
    var view = h("article", { className: "rec-item", "aria-labelledby": "rec-item-title" },
      h("div", { className: "rec-item-head" },
        picture(point, "rec-picture-large"),
        h("div", { className: "rec-item-text" },
          h("h2", { id: "rec-item-title", tabindex: "-1", text: label }),
          metadataList(view),
          actions)),
      h("h3", { className: "rec-list-heading", text: k ? plural(k, "nearest neighbour", "nearest neighbours") + " on the map" : "No neighbours" }),
      cards);
    show(view, true);
    document.title = isolate(label) + " · " + baseTitle;
    say(isolate(label) + ": " + plural(k, "neighbour", "neighbours") + " shown.");
  }

  function renderStart(state, message) {
    var order = data.counts.map(function (_, i) { return i; });
    order.sort(function (a, b) { return data.counts[b] - data.counts[a] || a - b; });
    var cards = h("ol", { className: "rec-cards" });
    order.slice(0, Math.min(data.k || 12, 12)).forEach(function (point, n) {
      cards.appendChild(card(point, n + 1, null, "", plural(data.counts[point], data.evidence.noun_one, data.evidence.noun), state));
    });
    show(h("section", { className: "rec-start", "aria-labelledby": "rec-start-heading" },
      h("h2", { id: "rec-start-heading", tabindex: "-1", text: "Or start from one of the most popular" }), cards), true);
    document.title = baseTitle;
    say(message || "Ready: " + formatNumber(data.count) + " to search.");
  }

  // ------------------------------------------------------------ vectors

  // A small portal's vectors come in one file. A large one's come in parts, one per cluster of the
  // map (site_builder/site/taste_parts.py): probe.bin says which points each holds, and a taste
  // loads the parts nearest it first; "Rank all" loads the rest.
  function loadWhole() {
    if (!vectorsPromise) {
      var info = data.vectors;
      var started = performance.now();
      vectorsPromise = fetchBuffer(new URL(info.path, dataUrl), "the vectors file").then(function (buffer) {
        unit = decodeVectors(buffer, info.dtype, data.count, data.dims);
        loadedCount = data.count;
        timing.vectors = performance.now() - started;
        return unit;
      });
      vectorsPromise.catch(function () { vectorsPromise = null; });
    }
    return vectorsPromise;
  }

  function loadProbe() {
    if (!probePromise) {
      var parts = data.vectors.parts;
      var asked = earlyProbe || fetchBuffer(new URL(parts.probe, dataUrl), "the probe file");
      earlyProbe = null;
      probePromise = asked.then(function (buffer) {
        probe = readProbe(buffer, parts.clusters, data.dims, data.count);
        unit = new Float32Array(data.count * data.dims);
        loaded = new Uint8Array(data.count);
        return probe;
      });
      probePromise.catch(function () { probePromise = null; });
    }
    return probePromise;
  }

  function loadPart(c) {
    if (!partPromises[c]) {
      var parts = data.vectors.parts, members = probe.members[c];
      partPromises[c] = fetchBuffer(new URL(parts.path + c + parts.suffix, dataUrl), "a part of the vectors").then(function (buffer) {
        placeRows(unit, decodeVectors(buffer, data.vectors.dtype, members.length, data.dims), members, data.dims);
        for (var m = 0; m < members.length; m++) loaded[members[m]] = 1;
        loadedCount += members.length;
        partsDone++;
      });
      partPromises[c].catch(function () { delete partPromises[c]; });
    }
    return partPromises[c];
  }

  // The vectors a ranking of `state` needs: all of them, or the parts nearest the taste.
  function vectorsFor(state) {
    var parts = data.vectors.parts;
    if (!parts) return loadWhole();
    var started = performance.now(), chosen = state.like.concat(state.dislike);
    return loadProbe().then(function () {
      return Promise.all(chosen.map(function (p) { return loadPart(probe.cluster[p]); }));
    }).then(function () {
      var query = tasteQuery(unit, data.dims, state.like, state.dislike);
      return Promise.all(probeClusters(probe, chosen, query, parts.share).map(loadPart));
    }).then(function () {
      if (timing.vectors === undefined) timing.vectors = performance.now() - started;
    });
  }

  // Every part, `progress` told after each; then the ranking is over all the points.
  function loadEveryPart(progress) {
    return loadProbe().then(function () {
      var all = [];
      for (var c = 0; c < probe.clusters; c++) {
        all.push(loadPart(c).then(function () { progress(partsDone, probe.clusters); }));
      }
      return Promise.all(all);
    });
  }

  function percent(share) { return (share * 100).toFixed(0) + "%"; }

  function megabytes(bytes) { return (bytes / 1e6).toFixed(1) + " MB"; }

  function renderTaste(state) {
    input.value = ""; // the search box is for the next point, not the last one searched
    var token = renderToken;
    var count = state.like.length + state.dislike.length;
    var parts = data.vectors.parts;
    if (!unit || (parts && loadedCount < data.count)) {
      var size = parts ? Math.round(data.vectors.bytes * parts.loaded) : data.vectors.bytes;
      show(h("p", { className: "rec-loading", text: "Loading the vectors (" + (parts ? "about " : "") +
        formatNumber(Math.round(size / 1024)) + " KB)…" }));
      say("Loading the vectors…");
    }
    vectorsFor(state).then(function () {
      if (token !== renderToken) return;
      var started = performance.now();
      var top = Math.max(data.k, 1);
      var partial = loadedCount < data.count;
      var ranked = rankTaste(unit, data.dims, state.like, state.dislike, top, partial ? loaded : null);
      timing.rank = performance.now() - started;
      var cards = h("ol", { className: "rec-cards" });
      ranked.forEach(function (pair, n) {
        var point = pair[0], nearest = closestLiked(unit, data.dims, point, state.like);
        var closest = nearest[0], closestScore = nearest[1];
        var why = closest === null ? "Far from what you dislike"
          : "Closest to " + isolate(data.labels[closest]) + " (" + closestScore.toFixed(3) + ")";
        cards.appendChild(card(point, n + 1, pair[1].toFixed(3), "match", why, state));
      });
      var heading = state.like.length ? "Picked for your taste" : "Farthest from what you dislike";
      var note = tasteNote(state.like.length, state.dislike.length, count, data.count,
        partial ? loadedCount - chosenLoaded(state) : undefined);
      show(h("section", { className: "rec-taste-result", "aria-labelledby": "rec-taste-result-heading" },
        h("h2", { id: "rec-taste-result-heading", tabindex: "-1", text: heading }),
        h("p", { className: "rec-note", text: note }),
        partial ? rankAll(parts) : null,
        ranked.length ? cards : h("p", { text: "Nothing to rank: like something first." })), true);
      document.title = "Your taste · " + baseTitle;
      say(plural(ranked.length, "pick", "picks") + " for your taste.");
    }, function (error) {
      if (token !== renderToken) return;
      show(h("p", { className: "rec-error", text: "Could not load the vectors: " + error.message }), true);
      say("Could not load the vectors.");
    });
  }

  function chosenLoaded(state) {
    return state.like.concat(state.dislike).filter(function (p) { return loaded[p]; }).length;
  }

  // What a ranking of part of a large portal leaves out, and a button that ranks them all.
  function rankAll(parts) {
    var button = h("button", { type: "button", className: "button rec-rank-all", "data-focus": "rank-all" },
      "Rank all " + formatNumber(data.count) + " (" + megabytes(data.vectors.bytes) + " in all)");
    button.addEventListener("click", function () {
      button.disabled = true;
      loadEveryPart(function (done, all) {
        button.textContent = "Loading the vectors: " + formatNumber(done) + " of " + formatNumber(all) + " parts…";
      }).then(render, function (error) {
        button.disabled = false;
        button.textContent = "Could not load them all (" + error.message + "): try again";
      });
    });
    return h("p", { className: "rec-note rec-partial" },
      "Measured when the site was built on " + formatNumber(parts.queries) + " random tastes, ranking the nearest parts " +
      "finds on average " + percent(parts.kept) + " of the exact top " + parts.top + " (ranking all of them: " +
      percent(data.vectors.loss.taste_overlap) + "). ", button);
  }

  function renderTasteBar(state) {
    var count = state.like.length + state.dislike.length;
    tasteBox.hidden = count === 0;
    chipList.textContent = "";
    tasteActions.textContent = "";
    if (!count) return;
    function chip(point, kind) {
      var remove = h("button", { type: "button", className: "rec-chip-remove", "data-focus": "remove-" + point,
                                 "aria-label": "Remove " + data.labels[point] + " from what you " + kind }, "×");
      remove.addEventListener("click", function () { toggleTaste(point, kind); });
      return h("li", { className: "rec-chip rec-chip-" + kind },
        h("span", { className: "rec-chip-kind", text: kind === "like" ? "Like" : "Dislike" }),
        h("a", { href: hashOf({ item: point, like: state.like, dislike: state.dislike }), text: data.labels[point] }),
        remove);
    }
    state.like.forEach(function (p) { chipList.appendChild(chip(p, "like")); });
    state.dislike.forEach(function (p) { chipList.appendChild(chip(p, "dislike")); });
    if (state.item !== null) {
      tasteActions.appendChild(h("a", { className: "button", href: hashOf({ item: null, like: state.like, dislike: state.dislike }) },
        "Show picks for this taste"));
    }
    tasteActions.appendChild(h("a", { className: "rec-clear", href: hashOf({ item: state.item, like: [], dislike: [] }) },
      "Clear the taste"));
  }

  var pendingFocus = null;  // data-focus of the control that had focus before a re-render
  var renderingHash = "";   // the hash the current render shows: set on the result as data-state when done

  function show(view, final) {
    resultBox.textContent = "";
    resultBox.appendChild(view);
    if (!timing.firstResult && view.querySelector && view.querySelector(".rec-card") && location.hash.length > 1) {
      timing.firstResult = performance.now();
      if (performance.mark) performance.mark("recommend:first-result");
    }
    if (final) resultBox.setAttribute("data-state", renderingHash);
    if (final && pendingFocus) {
      var again = root.querySelector('[data-focus="' + pendingFocus + '"]');
      var heading = resultBox.querySelector("h2");
      if (again) again.focus();
      else if (heading) heading.focus();
      pendingFocus = null;
    }
  }

  function render() {
    if (!data) return;
    renderToken++;
    pendingFocus = document.activeElement && document.activeElement.getAttribute("data-focus");
    renderingHash = location.hash;
    resultBox.removeAttribute("data-state");
    var state = parseHash();
    renderTasteBar(state);
    if (state.item !== null) renderItem(state.item, state);
    else if (state.like.length || state.dislike.length) renderTaste(state);
    else renderStart(state, state.badItem !== null ? "There is no number " + state.badItem + " here; search instead." : null);
  }

  function describe() {
    var v = data.vectors, loss = v.loss, e = data.evidence;
    aboutText.textContent = "";
    aboutText.appendChild(h("p", { text: "Neighbours are the " + data.k + " points whose vectors point the most the same way " +
      "(cosine similarity: 100% is the same direction, 0% unrelated), computed when the site was built: the same " +
      "neighbours, in the same order and with the same percentages, as the map lists for the point. " +
      "The evidence under each is counted from the data: how many " + e.noun + " the two have in common, and which " +
      "of their details they share." }));
    aboutText.appendChild(h("p", { text: "Taste rankings run in your browser on " + v.dtype + " copies of the " +
      formatNumber(data.count) + " × " + data.dims + " vectors (" + formatNumber(Math.round(v.bytes / 1024)) + " KB). " +
      "Measured against the exact float32 vectors, their top-10 lists agree on " + (loss.taste_overlap * 100).toFixed(1) +
      "% of the picks on average (neighbours: " + (loss.neighbour_overlap * 100).toFixed(1) + "%), with a mean cosine error of " +
      loss.mean_cosine_error.toExponential(1) + "." }));
    var parts = v.parts;
    if (parts) {
      aboutText.appendChild(h("p", { text: "So that a taste is ranked without loading them all, the vectors come in " +
        formatNumber(parts.clusters) + " parts, one per cluster of the map. A taste loads the parts of the points " +
        "you chose and those nearest it until " + percent(parts.share) + " of the " + formatNumber(data.count) +
        " are in (" + percent(parts.loaded) + " on average, about " + megabytes(v.bytes * parts.loaded) + "), and ranks those; " +
        "on random tastes that finds " + percent(parts.kept) + " of the exact top " + parts.top + ". " +
        "“Rank all” loads the rest." }));
    }
    if (data.evaluation) describeEvaluation(data.evaluation);
  }

  // The figures of `portals evaluate`, when the build was asked to include them.
  function describeEvaluation(evaluation) {
    aboutText.appendChild(h("h3", { text: "How good are they?" }));
    var w = data.words;
    aboutText.appendChild(h("p", { text: "Measured when the site was built: each " + w.user + "'s last interaction was hidden, " +
      "the map was trained on the rest, and the " + evaluation.k + " nearest " + w.items + " to the " + w.user +
      "'s previous " + w.item + " were checked for the hidden one (" + formatNumber(evaluation.users) + " " + w.users +
      ", all " + formatNumber(evaluation.items) + " " + w.items + " ranked). Two simple recommenders, measured the " +
      "same way, give the scale." }));
    var names = { method: "This map", popularity: "Most popular " + w.items, ItemKNN: "Item-to-item cosine (ItemKNN)" };
    var body = h("tbody");
    evaluation.methods.forEach(function (row) {
      body.appendChild(h("tr", null, h("th", { scope: "row", text: names[row.name] || row.name }),
        h("td", { text: row.hit_rate.toFixed(3) }), h("td", { text: row.ndcg.toFixed(3) }),
        h("td", { text: row.coverage.toFixed(3) })));
    });
    aboutText.appendChild(h("table", { className: "rec-evaluation" },
      h("thead", null, h("tr", null, h("th", { scope: "col", text: "Recommender" }),
        h("th", { scope: "col", text: "HitRate@" + evaluation.k }), h("th", { scope: "col", text: "NDCG@" + evaluation.k }),
        h("th", { scope: "col", text: "Coverage@" + evaluation.k }))), body));
  }

  // ------------------------------------------------------------ start

  window.addEventListener("hashchange", render);
  // a deep link's block, asked for beside the index rather than after it; so is a large portal's
  // probe.bin when the page opens on a taste
  var linked = /(?:^#|&)item=(\d+)/.exec(location.hash);
  if (linked && blockSize) loadBlock(Number(linked[1])).catch(function () { /* said when rendered */ });
  if (root.hasAttribute("data-probe") && !linked && /(?:^#|&)(?:like|dislike)=\d/.test(location.hash)) {
    earlyProbe = fetchBuffer(new URL(root.getAttribute("data-probe"), document.baseURI), "the probe file");
    earlyProbe.catch(function () { /* said when ranked */ });
  }
  fetch(dataUrl).then(function (response) {
    if (!response.ok) throw new Error("recommend.json answered " + response.status);
    return response.json();
  }).then(function (loaded) {
    data = loaded;
    timing.data = performance.now();
    if (data.pictures) {
      withPicture = new Uint8Array(data.count);
      data.pictures.of.forEach(function (i) { withPicture[i] = 1; });
    }
    describe();
    render();
    if (document.activeElement === input && input.value.trim()) openSuggestions();
  }).catch(function (error) {
    say("Could not load this page's data: " + error.message);
  });
}
