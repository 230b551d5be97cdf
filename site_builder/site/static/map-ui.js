/* The map page around the projector, for visitors: a card by the chosen point, colours in the
 * neighbour list, a tap that selects on touch screens, panels behind toggles on a phone, and
 * the projector's authoring controls out of sight.
 *
 * Like projector.js it reaches into the Embedding Projector element of tensorboard 2.21.0
 * (pinned), whose internals are no public API: tests/test_browser_map.py covers each use.
 *
 * - The card: the point's picture (its sprite cell, multiplied by its colour as the map
 *   draws it), its label, a few metadata columns (data-card-columns) and a link to its
 *   recommendations. It moves with the point whenever the projector draws the map anew (no
 *   work while nothing moves); on a phone it sits at the bottom of the map. It shows for the selected point, else for the one under the pointer.
 * - The neighbour list, for the cosine metric, is the build's: the chosen point's block of the
 *   recommendation data, so it matches the recommendation page whatever vectors the map loaded.
 * - The bookmarks panel starts folded (the layout switch on the map does its main job).
 * - Touch: the projector picks the point under the mouse on mouse moves, which a touch
 *   screen never sends, and its camera controls swallow the taps. A short tap is turned
 *   into that mouse move, then into a selection (or none, off the points).
 *
 * An ES module, deferred like projector.js and run after it (modules run in page order), so
 * window.portalProjector is there from the start. Its pure helpers are in map-core.js, and the
 * pictures and similarities are placed and written by the recommendation page's own functions.
 */
import {
  MAP_READY, callAfter, cardText, followLayouts, keepingSearchMessage, loadLayout, readView, scatterPlotOf, screenOf,
  toScreen,
} from "./map-core.js";
import { similarityText, spriteOffset } from "./recommend-core.js";

var projectorElement = document.querySelector("vz-projector");
if (projectorElement) aroundProjector(projectorElement);

function aroundProjector(projector) {
  var page = document.body;
  var card = document.getElementById("point-card");
  var columns = JSON.parse(projector.getAttribute("data-card-columns") || "[]");
  var recommendBase = projector.getAttribute("data-recommend") || "";
  var neighbourCount = Number(projector.getAttribute("data-neighbours") || "0");
  var NEIGHBOUR_PICTURE = 40; // px, the pictures in the neighbour list

  // ------------------------------------------------------------ the projector's own panels

  // A phone's layout, as site.css's breakpoint: the map across the screen, panels behind toggles
  var PHONE = "(max-width: 760px)";
  var phone = window.matchMedia(PHONE);

  var SHADOW_STYLES = {
    // the map fills the page on a phone; the panels open over it (see the panel toggles)
    projector: [
      // the page's own card stands in for the metadata card; tagging a selection is for the map's authors
      "#metadata-card, #editMode, #editMode + paper-tooltip { display: none !important; }",
      "@media " + PHONE + " {",
      "  #left-pane, #right-pane { position: absolute; top: 0; bottom: 0; z-index: 6; min-width: 0;",
      "    width: min(330px, 88vw); display: none; box-shadow: 0 0 24px rgba(0, 0, 0, .3); }",
      "  #left-pane { left: 0; } #right-pane { right: 0; }",
      "  :host([data-open=left]) #left-pane, :host([data-open=right]) #right-pane { display: flex; }",
      "  #bookmark-panel { width: 100%; }",
      "  .ink-panel-menubar { height: 44px; padding: 0 8px; }",
      "  .ink-panel-menubar .ink-fabs { top: 52px; }",
      "  .status-bar-panel { display: none; }",
      "}",
    ].join("\n"),
    data: "#demo-data-buttons-container, .metadata-editor { display: none !important; }",
    inspector: [
      ".neighbor { display: flex; align-items: center; gap: 8px; margin: 2px 0; }",
      ".neighbor .sprite-image { flex: none; width: " + NEIGHBOUR_PICTURE + "px; height: " + NEIGHBOUR_PICTURE +
        "px; padding: 0 !important; border-radius: 3px; background-blend-mode: multiply; }",
      ".neighbor .neighbor-link { flex: 1; min-width: 0; }",
    ].join("\n"),
  };

  // True when `root` has the style (added now or before), false while it does not exist yet.
  function addStyle(root, text) {
    if (!root) return false;
    if (root.querySelector("style[data-portals]")) return true;
    var style = document.createElement("style");
    style.setAttribute("data-portals", "");
    style.textContent = text;
    root.appendChild(style);
    return true;
  }

  // True once the projector and both its panels are styled.
  function styleShadows() {
    var styled = addStyle(projector.shadowRoot, SHADOW_STYLES.projector);
    styled = addStyle(projector.dataPanel && projector.dataPanel.shadowRoot, SHADOW_STYLES.data) && styled;
    return addStyle(projector.inspectorPanel && projector.inspectorPanel.shadowRoot, SHADOW_STYLES.inspector) && styled;
  }

  // ------------------------------------------------------------ colours and pictures

  // The colour the map gives a point now (the legend's), or white when it colours nothing.
  function colourOf(index) {
    var panel = projector.dataPanel;
    var name = panel && panel.selectedColorOptionName;
    var option = panel && panel.colorOptions && panel.colorOptions.filter(function (o) { return o.name === name; })[0];
    var point = projector.dataSet && projector.dataSet.points[index];
    if (!option || !option.map || !point) return "#ffffff";
    var value = point.metadata[name];
    return value == null ? "#000000" : String(option.map(value));
  }

  function sprite() {
    var info = projector.dataSet && projector.dataSet.spriteAndMetadataInfo;
    var image = info && info.spriteImage;
    var cell = info && info.spriteMetadata && info.spriteMetadata.singleImageDim;
    if (!image || !cell) return null;
    return { url: image.src, columns: Math.floor(image.width / cell[0]) };
  }

  // A point's sprite cell as a CSS background, multiplied by its colour as the map draws it.
  function paintPicture(element, index) {
    var sheet = sprite();
    if (!sheet) return false;
    var row = projector.dataSet.points[index].index;
    var grid = sheet.columns;
    var at = spriteOffset(row, grid);
    element.style.backgroundImage = "url(" + JSON.stringify(sheet.url) + ")";
    element.style.backgroundSize = grid * 100 + "% " + grid * 100 + "%";
    element.style.backgroundPosition = at[0] + "% " + at[1] + "%";
    element.style.backgroundColor = colourOf(index);
    return true;
  }

  // Each neighbour's picture in the colour the map gives it, its similarity as a percentage, and
  // as many neighbours as the recommendation page lists.
  var cosine = null; // the inspector's cosine distance function, the one it starts with
  function tintNeighbours() {
    var panel = projector.inspectorPanel;
    if (!panel || panel.portalsTinted || typeof panel.updateNeighborsList !== "function") return;
    cosine = panel.distFunc;
    if (neighbourCount > 0) panel.numNN = neighbourCount;
    var update = panel.updateNeighborsList;
    panel.updateNeighborsList = function () {
      var result = update.apply(panel, arguments);
      var neighbours = panel._currentNeighbors || [];
      var rows = panel.shadowRoot ? panel.shadowRoot.querySelectorAll(".nn-list .neighbor") : [];
      for (var i = 0; i < rows.length && i < neighbours.length; i++) {
        var picture = rows[i].querySelector(".sprite-image");
        if (picture) picture.style.backgroundColor = colourOf(neighbours[i].index);
        // the similarity as the recommendation page shows it, for the cosine metric
        var value = rows[i].querySelector(".value");
        if (value && cosine && panel.distFunc === cosine) {
          value.textContent = similarityText(1 - neighbours[i].dist);
        }
      }
      return result;
    };
    panel.portalsTinted = true;
  }

  // ------------------------------------------------------------ the build's neighbours

  // For the cosine metric the neighbour list is the build's: the chosen point's block of the
  // recommendation data (data-blocks; site_builder/site/recommend.py), so the map lists what the
  // recommendation page lists, in the same order and with the same similarities. The projector's
  // own search ranks what it loaded: float32 at small sizes, where ties may fall otherwise, and a
  // compact copy at large ones. Until the block is in (one small file, asked for when a point is
  // chosen), the projector's own list shows; the build's replaces it when it arrives.
  var blocksBase = projector.getAttribute("data-blocks");
  var blockSize = Number(projector.getAttribute("data-block-size") || "0");
  var arrived = {}; // block URL -> block
  var asked = {};   // block URL -> true while its fetch runs
  var positionsOf = new WeakMap(); // data set -> (row -> position), for data sets of isolated points

  function blockUrl(row) {
    return new URL(Math.floor(row / blockSize) + ".json", new URL(blocksBase, document.baseURI)).href;
  }

  function askForBlock(row) {
    var url = blockUrl(row);
    if (arrived[url] || asked[url]) return;
    asked[url] = true;
    fetch(url).then(function (response) {
      if (!response.ok) throw new Error(url + " answered " + response.status);
      return response.json();
    }).then(function (block) {
      arrived[url] = block;
      var chosen = projector.selectedPointIndices || [];
      var data = projector.dataSet;
      if (chosen.length === 1 && data && data.points[chosen[0]] && blockUrl(data.points[chosen[0]].index) === url) {
        // the list again, now the build's
        keepingSearchMessage(projector, function () { projector.notifySelectionChanged(chosen.slice()); });
      }
    }).catch(function (error) {
      console.warn("the map keeps the projector's own neighbour list:", error.message);
    }).finally(function () { delete asked[url]; });
  }

  function positionIn(data, row) {
    if (data.points[row] && data.points[row].index === row) return row;
    var map = positionsOf.get(data);
    if (!map) {
      map = new Map();
      data.points.forEach(function (point, position) { map.set(point.index, position); });
      positionsOf.set(data, map);
    }
    return map.has(row) ? map.get(row) : null;
  }

  // The build's list for the point at `position` of `data`, as the projector's findNeighbors gives
  // it ({index: position, dist: 1 - cosine}); null until its block is in, or when the visitor asks
  // for more than the build lists or has isolated points that leave some of them out.
  function buildNeighbours(data, position, wanted) {
    var row = data.points[position].index, block = arrived[blockUrl(row)];
    if (!block) { askForBlock(row); return null; }
    if (wanted > block.k) return null;
    var list = [], at = (row - block.first) * block.k;
    for (var slot = 0; slot < wanted; slot++) {
      var where = positionIn(data, block.neighbours[at + slot]);
      if (where == null) return null;
      list.push({ index: where, dist: 1 - block.scores[at + slot] / block.score_scale });
    }
    return list;
  }

  function useBuildNeighbours() {
    var data = projector.dataSet, proto = data && Object.getPrototypeOf(data);
    if (!blocksBase || !blockSize || !proto || proto.portalsNeighbours || typeof proto.findNeighbors !== "function") return;
    var find = proto.findNeighbors;
    proto.findNeighbors = function (position, distFunc, wanted) {
      var listed = cosine && distFunc === cosine && this.points[position] ? buildNeighbours(this, position, wanted) : null;
      return listed || find.call(this, position, distFunc, wanted);
    };
    proto.portalsNeighbours = true;
  }

  // ------------------------------------------------------------ the point card

  var shown = null; // the point (position in the data set) on the card

  function fillCard(index) {
    var point = projector.dataSet.points[index];
    var label = point.metadata[projector.selectedLabelOption];
    card.querySelector(".point-card-title").textContent = cardText(label) || "#" + point.index;
    var picture = card.querySelector(".point-card-picture");
    picture.hidden = !paintPicture(picture, index);
    var list = card.querySelector(".point-card-facts");
    list.textContent = "";
    columns.forEach(function (column) {
      var text = cardText(point.metadata[column]);
      if (!text || column === projector.selectedLabelOption) return;
      var term = document.createElement("dt");
      term.textContent = column.replace(/_/g, " ");
      var detail = document.createElement("dd");
      detail.textContent = text;
      list.appendChild(term);
      list.appendChild(detail);
    });
    var link = card.querySelector(".point-card-link");
    if (link) link.href = recommendBase + "#item=" + point.index;
  }

  function scatterPlot() {
    return scatterPlotOf(projector);
  }

  function screenPosition(index) {
    var plot = scatterPlot();
    var positions = plot && plot.worldSpacePointPositions;
    if (!positions || !plot.camera || positions.length < 3 * (index + 1)) return null;
    var screen = screenOf(plot);
    var world = [positions[3 * index], positions[3 * index + 1], positions[3 * index + 2]];
    var at = toScreen(screen.view, screen.lens, world, screen.canvas);
    return { x: at.x, y: at.y, canvas: screen.canvas, ahead: at.ahead };
  }

  function placeCard() {
    if (shown == null) return;
    var where = screenPosition(shown);
    var host = card.offsetParent ? card.offsetParent.getBoundingClientRect() : { left: 0, top: 0 };
    if (phone.matches || !where) {
      card.classList.add("point-card-docked");
      card.style.left = card.style.top = "";
      return;
    }
    card.classList.remove("point-card-docked");
    var box = where.canvas, gap = 18, width = card.offsetWidth, height = card.offsetHeight;
    var left = where.x + gap + width > box.right ? where.x - gap - width : where.x + gap;
    var top = Math.min(Math.max(where.y - height / 2, box.top + 8), box.bottom - height - 8);
    card.style.left = Math.max(box.left + 8, left) - host.left + "px";
    card.style.top = top - host.top + "px";
    card.classList.toggle("point-card-behind", !where.ahead);
  }

  function showCard(index, pinned) {
    if (index == null || !projector.dataSet || !projector.dataSet.points[index]) {
      shown = null;
      card.hidden = true;
      return;
    }
    shown = index;
    fillCard(index);
    card.hidden = false;
    card.classList.toggle("point-card-pinned", !!pinned);
    placeCard();
  }

  // The card follows its point each time the projector draws the map: when the camera moves, the
  // points take another layout or the window changes size, and never while nothing changes.
  function followPoints() {
    callAfter(scatterPlot(), "render", placeCard);
  }

  var selected = null;
  function onSelection(positions) {
    selected = positions && positions.length === 1 ? positions[0] : null;
    showCard(selected, true);
  }

  function onHover(index) {
    if (selected != null) return;
    showCard(index, false);
  }

  // ------------------------------------------------------------ touch

  function listenForTaps() {
    var plot = scatterPlot();
    var surface = plot && plot.container;
    if (!surface || surface.portalsTaps) return;
    surface.portalsTaps = true;
    var start = null;
    surface.addEventListener("touchstart", function (event) {
      var touch = event.touches[0];
      start = event.touches.length === 1 ? { x: touch.clientX, y: touch.clientY, at: Date.now() } : null;
    }, { passive: true });
    surface.addEventListener("touchend", function (event) {
      var touch = event.changedTouches[0];
      if (!start || !touch || Date.now() - start.at > 400 ||
          Math.hypot(touch.clientX - start.x, touch.clientY - start.y) > 10) return;
      start = null;
      var rect = surface.getBoundingClientRect();
      var move = new MouseEvent("mousemove", { clientX: touch.clientX, clientY: touch.clientY, bubbles: true });
      Object.defineProperty(move, "offsetX", { value: touch.clientX - rect.left });
      Object.defineProperty(move, "offsetY", { value: touch.clientY - rect.top });
      plot.onMouseMove(move);
      projector.notifySelectionChanged(plot.nearestPoint != null ? [plot.nearestPoint] : []);
      closePanels();
    });
  }

  // ------------------------------------------------------------ panels on a phone

  function closePanels() { projector.removeAttribute("data-open"); syncToggles(); }

  function syncToggles() {
    var open = projector.getAttribute("data-open");
    document.querySelectorAll("[data-panel-toggle]").forEach(function (button) {
      button.setAttribute("aria-expanded", button.getAttribute("data-panel-toggle") === open ? "true" : "false");
    });
  }

  document.querySelectorAll("[data-panel-toggle]").forEach(function (button) {
    button.addEventListener("click", function () {
      var side = button.getAttribute("data-panel-toggle");
      if (projector.getAttribute("data-open") === side) projector.removeAttribute("data-open");
      else projector.setAttribute("data-open", side);
      syncToggles();
    });
  });

  // ------------------------------------------------------------ the layouts

  var layoutButtons = Array.prototype.slice.call(document.querySelectorAll("[data-layout]"));
  // The switch shows the layout on screen, however it was chosen (here, in the bookmarks panel or by
  // a link); none pressed on a projection the visitor runs.
  function pressLayoutButtons() {
    followLayouts(projector, function (number) {
      layoutButtons.forEach(function (button) {
        button.setAttribute("aria-pressed", Number(button.getAttribute("data-layout")) === number ? "true" : "false");
      });
    });
  }
  layoutButtons.forEach(function (button) {
    button.addEventListener("click", function () { loadLayout(projector, Number(button.getAttribute("data-layout"))); });
  });

  // The switch sits at the top left of the map itself, beside the projector's help button.
  function placeLayoutSwitch() {
    var plot = scatterPlot();
    var box = layoutButtons.length && layoutButtons[0].parentNode;
    if (!plot || !box || !box.offsetParent) return;
    var map = plot.container.getBoundingClientRect(), host = box.offsetParent.getBoundingClientRect();
    box.style.left = map.left - host.left + 64 + "px";
    box.style.top = map.top - host.top + 14 + "px";
  }
  window.addEventListener("resize", placeLayoutSwitch);

  // ------------------------------------------------------------ start

  function ready() {
    var status = window.portalProjector;
    return status && status.state !== "loading" && scatterPlot() && projector.dataSet;
  }

  // The projector's panels styled, and the neighbour list set, as soon as they exist: before the
  // data arrives, so that the canvas is sized for the styled page and no panel shows unstyled, and
  // before a point is chosen (a link may choose one on arrival). Tried each frame until done.
  function prepare() {
    var styled = styleShadows();
    tintNeighbours();
    var panel = projector.inspectorPanel;
    if (!started && !(styled && panel && panel.portalsTinted)) window.requestAnimationFrame(prepare);
  }

  var started = false;
  function start() {
    if (started) return;
    started = true;
    styleShadows();
    tintNeighbours();
    useBuildNeighbours();
    var linked = readView(window.location.hash).item;
    if (linked != null && blocksBase && blockSize) askForBlock(linked);
    listenForTaps();
    followPoints();
    pressLayoutButtons();
    projector.registerSelectionChangedListener(onSelection);
    projector.registerHoverListener(onHover);
    card.querySelector(".point-card-close").addEventListener("click", function () {
      projector.notifySelectionChanged([]);
    });
    onSelection(projector.selectedPointIndices || []);
    placeLayoutSwitch();
    // the bookmarks (the layouts among them) stay one click away, folded so the neighbours have room
    if (projector.bookmarkPanel && typeof projector.bookmarkPanel._expandLess === "function") {
      projector.bookmarkPanel._expandLess();
    }
    page.classList.add("map-ready");
  }

  // projector.js sends MAP_READY when the map has opened; it may have opened already
  document.addEventListener(MAP_READY, start);
  prepare();
  if (ready()) start();
}
