/* The projector page: open on the precomputed layout, deep links to a point, and the way back.
 *
 * Drives the Embedding Projector element of tensorboard 2.21.0 (pinned in
 * pyproject.toml) through its internal methods, which are no public API:
 * tests/test_browser_projector.py covers each of them.
 *
 * - Bookmarks from the config's bookmarksPath are listed but never applied by
 *   the projector itself, which computes and shows a PCA as soon as its data is
 *   in: on a large map a second or more of work before the layout could replace
 *   it. So that first PCA is held back and the first bookmark applied instead,
 *   once the data and the bookmarks are in (the page preloads both); the PCA tab
 *   computes its PCA when it is clicked. Bookmarks that come too late for that
 *   are applied right after the PCA, before it is painted.
 * - A bookmark replaces every point's coordinates with its own, which would
 *   leave the PCA tab without coordinates (the projector never recomputes a PCA
 *   it has done once): the PCA coordinates, once there are any, are copied into
 *   the bookmarks before each is loaded.
 * - `#item=<row index>` selects that point once the layout is shown and moves
 *   the camera to it (map-view.js keeps the rest of the view in the address).
 * - The 3-D view's depth fog fades far pictures towards the background, so a
 *   point would not show its legend colour: the pictures are drawn without it
 *   (their size still falls off with distance).
 * - Framing: the projector's default cameras cut off much of a layout, and in
 *   2-D it draws every picture at the sprite sheet's cell size (128 px), a
 *   wall of overlapping cards. Each layout is framed to show every point with
 *   a margin (also after "reset zoom" and when the visitor picks a layout), and
 *   2-D pictures are sized by how many points share the canvas.
 *
 * An ES module, so deferred: it runs once the page is parsed, after the projector's own
 * (classic) script has defined the element, and long before the element's data has arrived
 * (its config, then the tensors), when the projector sets normalizeData and reads it.
 * Its pure helpers are in map-core.js (tested in tests/js/).
 */
import {
  MAP_READY, callAfter, keepingSearchMessage, orderLegendItems, readView, scatterPlotOf, span,
} from "./map-core.js";

var POLL_MS = 50;
var projectorElement = document.querySelector("vz-projector");
if (projectorElement) openProjector(projectorElement);

function openProjector(projector) {
  // The projector "sphereizes" vectors of 50 or more dimensions as it loads them (centres, then
  // normalises), so its neighbour lists would differ from the build's, which are plain cosine
  // on the vectors as trained. Keep them as they are, unless the visitor ticks "Spherize data".
  var spherize = false;
  Object.defineProperty(projector, "normalizeData", {
    configurable: true,
    get: function () { return spherize; },
    set: function () { /* the projector's own choice on loading: ignored */ },
  });
  var setNormalizeData = projector.setNormalizeData;
  projector.setNormalizeData = function (value) {
    spherize = !!value;
    return setNormalizeData.call(projector, value);
  };
  var expectedLayouts = Number(projector.getAttribute("data-layouts") || "0");
  var colourColumn = projector.getAttribute("data-colour-column") || "";
  var legendOrder = JSON.parse(projector.getAttribute("data-legend-order") || "[]");
  var recommendLink = document.getElementById("recommend-link");
  var recommendBase = recommendLink ? recommendLink.getAttribute("href").split("#")[0] : null;
  var genericText = recommendLink ? recommendLink.textContent : "";

  // What happened, for the curious and for the browser tests.
  var status = (window.portalProjector = {
    state: "loading", layout: null, dataMs: null, appliedMs: null, picturesMs: null, item: null, cameraFocused: false,
    // choose the point of row `row`, moving the camera to it or not (map-view.js, for links)
    select: function (row, moveCamera) { return selectItem(row, moveCamera); },
  });

  // The projector numbers points within its current data set, which is a subset once the
  // visitor isolates points; links and hashes use the row in metadata.txt.
  function rowOf(position) {
    var point = projector.dataSet && projector.dataSet.points[position];
    return point && typeof point.index === "number" ? point.index : position;
  }

  function positionOf(row) {
    var points = projector.dataSet ? projector.dataSet.points : [];
    if (points[row] && rowOf(row) === row) return row;
    for (var i = 0; i < points.length; i++) if (rowOf(i) === row) return i;
    return null;
  }

  function labelOf(position) {
    var point = projector.dataSet && projector.dataSet.points[position];
    var value = point && point.metadata && point.metadata[projector.selectedLabelOption];
    return value == null || value === "" ? "#" + rowOf(position) : String(value);
  }

  function updateLink(position) {
    if (!recommendLink) return;
    if (position == null) {
      recommendLink.href = recommendBase;
      recommendLink.textContent = genericText;
    } else {
      recommendLink.href = recommendBase + "#item=" + rowOf(position);
      recommendLink.textContent = "Recommendations for " + labelOf(position);
    }
  }

  // Move the camera to a point and its neighbours: towards it along the current line of sight in
  // 3-D, centred in 2-D, as near as lets every neighbour show with a margin (and no nearer than
  // NEAREST, where a few pictures would fill the view). Uses the scatter plot's own camera setter.
  var NEAREST = 0.35; // the map spans [-1, 1]; the projector starts about 1.9 away
  var AROUND = 1.35; // room around the neighbours
  function focusCamera(index) { // index: position in the current data set
    var adapter = projector.projectorScatterPlotAdapter;
    var plot = adapter && adapter.scatterPlot;
    var positions = plot && plot.worldSpacePointPositions;
    if (!positions || positions.length < 3 * (index + 1) || typeof plot.setCameraPositionAndTarget !== "function") {
      return false;
    }
    var point = [positions[3 * index], positions[3 * index + 1], positions[3 * index + 2]];
    var reach = 0; // how far the neighbours are from the point, in world units
    (projector.neighborsOfFirstPoint || []).forEach(function (neighbour) {
      var at = 3 * neighbour.index;
      reach = Math.max(reach, Math.hypot(positions[at] - point[0], positions[at + 1] - point[1],
        plot.sceneIs3D() ? positions[at + 2] - point[2] : 0));
    });
    var eye = plot.getCameraPosition();
    var target = plot.getCameraTarget();
    var camera = plot.camera;
    if (plot.sceneIs3D()) {
      var away = [eye[0] - target[0], eye[1] - target[1], eye[2] - target[2]];
      var length = Math.hypot(away[0], away[1], away[2]) || 1;
      var half = Math.tan((camera.fov * Math.PI) / 360) * Math.min(1, camera.aspect);
      var distance = Math.min(length, Math.max(NEAREST, (reach * AROUND) / half + reach));
      eye = [0, 1, 2].map(function (i) { return point[i] + (away[i] / length) * distance; });
    } else {
      eye = [point[0], point[1], eye[2]];
      var halfView = Math.min(camera.right - camera.left, camera.top - camera.bottom) / 2;
      // points are drawn larger as the 2-D camera zooms: close enough for the neighbours, no wall of posters
      camera.zoom = Math.max(camera.zoom, Math.min(halfView / Math.max(reach * AROUND, 1e-6), 4));
      camera.updateProjectionMatrix();
    }
    plot.setCameraPositionAndTarget(eye, point);
    return true;
  }

  function selectItem(row, moveCamera) {
    var position = row == null ? null : positionOf(row);
    if (position == null) return false;
    projector.notifySelectionChanged([position]);
    if (moveCamera) status.cameraFocused = focusCamera(position);
    return true;
  }

  function onSelectionChanged(positions) {
    var position = positions && positions.length === 1 ? positions[0] : null;
    status.item = position == null ? null : rowOf(position);
    updateLink(position);
  }

  // Categories that name numbers ("18-24", "1990s") listed, and so coloured, in the order of
  // those numbers rather than as first met in metadata.txt; the build colours the pictures of
  // the recommendation page and the preview the same way (colours.legend_order).
  function orderLegend() {
    var panel = projector.dataPanel;
    // the panel makes its colour options afresh whenever metadata arrives: order each new set
    if (legendOrder.length) callAfter(panel, "updateMetadataUI", orderLegend);
    var option = panel && panel.colorOptions && panel.colorOptions.filter(function (o) { return o.name === colourColumn; })[0];
    if (!legendOrder.length || !option || !option.map || !option.items || option.portalsOrdered) return;
    var items = orderLegendItems(option.items, legendOrder);
    option.items = items;
    option.map.domain(items.map(function (item) { return item.label; }));
    option.portalsOrdered = true;
    if (panel.selectedColorOptionName === colourColumn) panel._selectedColorOptionNameChanged(); // legend and colours
  }

  // Keep the in-browser PCA: a bookmark replaces each point's coordinates wholesale, so before
  // any bookmark is loaded the PCA coordinates (once computed) are copied into every bookmark.
  function keepPcaThroughLayouts() {
    var panel = projector.bookmarkPanel;
    if (!panel || panel.portalsKeepsPca || typeof panel.loadSavedState !== "function") return;
    var load = panel.loadSavedState;
    panel.loadSavedState = function () {
      var points = projector.dataSet ? projector.dataSet.points : [];
      if (points.length && points[0].projections["pca-0"] != null) {
        (panel.savedStates || []).forEach(function (state) {
          (state.projections || []).forEach(function (given, i) {
            var current = points[i] && points[i].projections;
            for (var key in current) if (key.indexOf("pca-") === 0) given[key] = current[key];
          });
        });
      }
      return load.apply(panel, arguments);
    };
    panel.portalsKeepsPca = true;
  }

  // The projector's first PCA, held back while there is a layout to open on (see the top).
  var pcaHeld = false;
  function holdFirstPca() {
    var panel = projector.projectionsPanel;
    if (!panel || panel.portalsHoldsPca || typeof panel.showPCA !== "function" || expectedLayouts === 0) return;
    var showPCA = panel.showPCA;
    panel.showPCA = function () {
      if (status.state === "loading" && projector.dataSet && bookmarksArrived()) {
        pcaHeld = true;
        Promise.resolve().then(tryApply); // once the projector has finished taking in its data
        return;
      }
      return showPCA.apply(panel, arguments);
    };
    panel.portalsHoldsPca = true;
  }

  function pcaDone() {
    var data = projector.dataSet;
    return !!(data && projector.projection && projector.projection.projectionType === "pca" &&
      data.points.length && data.points[0].projections["pca-0"] != null);
  }

  function bookmarksArrived() {
    var panel = projector.bookmarkPanel;
    return !!(panel && panel.savedStates && panel.savedStates.length >= expectedLayouts);
  }

  var started = performance.now();
  status.startedAt = started; // the timings below are from here; performance.now() is from navigation
  var waitingForBookmarksSince = null;

  function scatterPlot() {
    return scatterPlotOf(projector);
  }

  // Patched once, on the class every sprite view shares: no fog on the pictures, and 2-D
  // pictures sized for the density (see the top).
  function patchPictures() {
    var adapter = projector.projectorScatterPlotAdapter;
    var sprites = adapter && adapter.spriteVisualizer;
    var proto = sprites && Object.getPrototypeOf(sprites);
    if (!proto || proto.portalsPatched || typeof proto.setFogDistances !== "function") return;
    proto.setFogDistances = function () {
      this.fog.near = Infinity;
      this.fog.far = Infinity;
    };
    var pointSize = proto.calculatePointSize;
    proto.calculatePointSize = function (attenuated) {
      var plot = scatterPlot();
      var positions = this.worldSpacePointPositions;
      if (attenuated || this.texture == null || !plot || !positions || !positions.length) {
        return pointSize.call(this, attenuated);
      }
      var count = positions.length / 3;
      var ratio = window.devicePixelRatio || 1;
      var share = Math.sqrt((plot.width * plot.height) / count) * ratio * CARD_SHARE_2D;
      return Math.max(MIN_CARD_2D * ratio, Math.min(this.spriteDimensions[0], share));
    };
    proto.portalsPatched = true;
  }

  var CARD_SHARE_2D = 1.3; // a 2-D picture's side, in units of the canvas side per point
  var MIN_CARD_2D = 14; // px
  var MARGIN = 1.12; // room around the layout for the pictures at its edges

  // Show every point with a margin: in 3-D from the default direction, in 2-D from above.
  function frameLayout() {
    var plot = scatterPlot();
    var positions = plot && plot.worldSpacePointPositions;
    if (!positions || !positions.length || !plot.camera) return;
    var low = [Infinity, Infinity, Infinity], high = [-Infinity, -Infinity, -Infinity];
    for (var i = 0; i < positions.length; i++) {
      var axis = i % 3;
      if (positions[i] < low[axis]) low[axis] = positions[i];
      if (positions[i] > high[axis]) high[axis] = positions[i];
    }
    var centre = [0, 1, 2].map(function (a) { return (low[a] + high[a]) / 2; });
    var camera = plot.camera;
    if (plot.sceneIs3D()) {
      // from the projector's own starting direction: the nearest camera that sees every point
      var back = unit([0.45, 0.9, 1.6]);
      var right = unit(cross([-back[0], -back[1], -back[2]], [0, 1, 0]));
      var up = cross(right, [-back[0], -back[1], -back[2]]);
      var tanUp = Math.tan((camera.fov * Math.PI) / 360) / MARGIN;
      var tanSide = tanUp * camera.aspect;
      var xs = [], ys = [], zs = [];
      for (var p = 0; p < positions.length; p += 3) {
        var d = [positions[p] - centre[0], positions[p + 1] - centre[1], positions[p + 2] - centre[2]];
        xs.push(dot(d, right));
        ys.push(dot(d, up));
        zs.push(dot(d, back));
      }
      var spanX = span(xs), spanY = span(ys);
      var midX = (spanX[0] + spanX[1]) / 2;
      var midY = (spanY[0] + spanY[1]) / 2;
      var distance = 0;
      for (var k = 0; k < xs.length; k++) {
        distance = Math.max(distance, Math.abs(xs[k] - midX) / tanSide + zs[k], Math.abs(ys[k] - midY) / tanUp + zs[k]);
      }
      var target = [0, 1, 2].map(function (a) { return centre[a] + right[a] * midX + up[a] * midY; });
      plot.setCameraPositionAndTarget(target.map(function (t, a) { return t + back[a] * distance; }), target);
    } else {
      var halfWidth = (camera.right - camera.left) / 2, halfHeight = (camera.top - camera.bottom) / 2;
      var need = Math.max((high[0] - low[0]) / 2 / halfWidth, (high[1] - low[1]) / 2 / halfHeight) * MARGIN;
      camera.zoom = need > 0 ? 1 / need : 1;
      camera.updateProjectionMatrix();
      plot.setCameraPositionAndTarget([centre[0], centre[1], camera.position.z], [centre[0], centre[1], 0]);
    }
  }

  function dot(a, b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
  function cross(a, b) { return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]; }
  function unit(a) { var n = Math.hypot(a[0], a[1], a[2]) || 1; return [a[0] / n, a[1] / n, a[2] / n]; }

  // Frame again whenever the projector makes a fresh camera: a layout picked in the
  // bookmarks panel, or the "reset zoom" button.
  function keepFraming() {
    callAfter(scatterPlot(), "resetZoom", frameLayout);
    callAfter(projector.bookmarkPanel, "loadSavedState", frameLayout);
  }

  // The sprite sheet, most of the map's bytes, is not in the projector's config, so the points
  // show as soon as the vectors are in; the pictures come once the layout is on screen, set on
  // the data set as the projector itself would have set them.
  function loadPictures() {
    var path = projector.getAttribute("data-sprite");
    var cell = Number(projector.getAttribute("data-sprite-cell") || "0");
    if (!path || !cell) return;
    var image = new Image();
    image.onload = function () {
      var data = projector.dataSet;
      var adapter = projector.projectorScatterPlotAdapter;
      if (!data || !adapter) return;
      data.spriteAndMetadataInfo = data.spriteAndMetadataInfo || {};
      data.spriteAndMetadataInfo.spriteImage = image;
      data.spriteAndMetadataInfo.spriteMetadata = { imagePath: path, singleImageDim: [cell, cell] };
      adapter.setDataSet(data);
      adapter.updateScatterPlotAttributes();
      adapter.scatterPlot.render();
      // and in the neighbour list, which the inspector draws with pictures once it knows of them
      // (as its metadataChanged would set them, without the search reset that comes with that)
      var inspector = projector.inspectorPanel;
      if (inspector) {
        keepingSearchMessage(projector, function () {
          inspector.spriteMeta = { imagePath: image.src, aspectRatio: 1, nCols: Math.floor(image.width / cell),
                                   singleImageDim: [cell, cell] };
          inspector.spriteImagesAvailable = true; // redraws the list
        });
      }
      status.picturesMs = performance.now() - started;
    };
    image.onerror = function () { status.picturesMs = -1; };
    image.src = path;
  }

  function finish() {
    patchPictures();
    loadPictures();
    // map-ui.js starts now, before a point a link names is selected below
    document.dispatchEvent(new CustomEvent(MAP_READY));
    keepFraming();
    projector.registerSelectionChangedListener(onSelectionChanged);
    if (!selectItem(readView(window.location.hash).item, true)) onSelectionChanged(projector.selectedPointIndices || []);
  }

  // Apply the first layout once the data and the bookmarks are in (and the PCA is done, unless it
  // was held back); true when settled.
  function tryApply() {
    if (status.state !== "loading") return true;
    if (status.dataMs == null && projector.dataSet) status.dataMs = performance.now() - started;
    var projection = projector.projection;
    if (projector.dataSet && projection && projection.projectionType !== "pca") {
      status.state = "visitor-chose"; // a tab clicked before the layout was ready: leave it be
      finish();
      return true;
    }
    if (!pcaHeld && !pcaDone()) return false;
    if (expectedLayouts > 0 && !bookmarksArrived()) {
      // give up on the layout (never on the page) if the bookmarks do not come
      if (waitingForBookmarksSince == null) waitingForBookmarksSince = performance.now();
      if (performance.now() - waitingForBookmarksSince < 30000) return false;
      status.state = "no-bookmarks";
    } else if (expectedLayouts > 0) {
      var panel = projector.bookmarkPanel;
      // a visitor may have searched or picked points already: loading a state clears that
      var chosen = (projector.selectedPointIndices || []).slice();
      keepingSearchMessage(projector, function () {
        orderLegend();
        panel.loadSavedState(0);
        frameLayout();
        // as the panel's own radio button does: loading a state clears the selection mark
        panel.setSelectionState(0, true);
        if (chosen.length) projector.notifySelectionChanged(chosen);
      });
      status.state = "applied";
      status.pcaHeld = pcaHeld; // true: the layout came first, no PCA computed
      status.layout = panel.savedStates[0].label;
      status.appliedMs = performance.now() - started;
    } else {
      status.state = "pca";
      frameLayout();
    }
    finish();
    return true;
  }

  // The PCA announces itself as a projection change: apply right after it, in the same task,
  // so the browser never paints the PCA first. Polling covers the bookmarks arriving later.
  var listening = false;
  function poll() {
    patchPictures();
    orderLegend();
    keepPcaThroughLayouts();
    holdFirstPca();
    if (!listening && Array.isArray(projector.projectionChangedListeners)) {
      listening = true;
      projector.registerProjectionChangedListener(function (projection) {
        if (status.state === "loading" && projection && projection.projectionType === "pca") {
          Promise.resolve().then(tryApply);
        }
      });
    }
    if (!tryApply()) window.setTimeout(poll, POLL_MS);
  }

  poll();
}
