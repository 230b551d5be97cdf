/* Projector Portals: what the map page's modules share (projector.js, map-ui.js and the map-*.js
 * that stand beside it).
 *
 * Nothing here draws: every input is an argument (the projector and its parts included), so node's
 * test runner checks each function on plain objects (tests/js/).
 */

// The smallest and largest of many numbers, [min, max] ([Infinity, -Infinity] for none). A loop:
// Math.min.apply over the 200,000 points of a map of users overflows the call stack.
export function span(values) {
  var low = Infinity, high = -Infinity;
  for (var i = 0; i < values.length; i++) {
    if (values[i] < low) low = values[i];
    if (values[i] > high) high = values[i];
  }
  return [low, high];
}

// The legend's entries ({label, ...}) in the order the build worked out (colours.legend_order):
// those it names first, in its order, then any others as they were. The same objects, a new list.
export function orderLegendItems(items, order) {
  var byLabel = Object.create(null); // no inherited keys: a category may be called "constructor"
  items.forEach(function (item) { byLabel[item.label] = item; });
  var ordered = order.filter(function (label) { return byLabel[label]; })
    .map(function (label) { return byLabel[label]; });
  items.forEach(function (item) { if (ordered.indexOf(item) < 0) ordered.push(item); });
  return ordered;
}

// A metadata value as the point card shows it: multi-valued cells ("Crime|Thriller") as a list.
export function cardText(value) {
  return value == null || value === "" ? "" : String(value).replace(/\|/g, ", ");
}

// From now on, run `then` after every call of object[name], with the call's arguments. The method
// is wrapped once, however many callers ask: each caller's `then` runs after it, in the order they
// were added, and the same `then` only once. False when there is no such method (yet).
export function callAfter(object, name, then) {
  if (!object || typeof object[name] !== "function") return false;
  var key = "portalsAfter_" + name;
  if (!object[key]) {
    var original = object[name];
    var after = (object[key] = []);
    object[name] = function () {
      var result = original.apply(this, arguments);
      for (var i = 0; i < after.length; i++) after[i].apply(this, arguments);
      return result;
    };
  }
  if (object[key].indexOf(then) < 0) object[key].push(then);
  return true;
}

// Run `action` and keep the search box's message ("1 matches.") as it was: the projector clears it
// whenever it draws the neighbour list or a selection, even one the page only makes again.
export function keepingSearchMessage(projector, action) {
  var search = projector && projector.inspectorPanel && projector.inspectorPanel.searchBox;
  var message = search ? search.message : "";
  try {
    return action();
  } finally {
    if (search) search.message = message;
  }
}

// The projector's scatter plot (which draws the map), once the projector has made it.
export function scatterPlotOf(projector) {
  var adapter = projector && projector.projectorScatterPlotAdapter;
  return (adapter && adapter.scatterPlot) || null;
}

// The event projector.js sends on the document when the map has opened (on its layout, or as the
// visitor chose), before it selects the point a link names; map-ui.js starts on it.
export var MAP_READY = "portals:map-ready";

// Where a point of the map is on screen: `world` [x, y, z] through a camera's view matrix (its
// matrixWorldInverse) and projection matrix (both column-major 4x4 arrays, three.js' `elements`),
// onto `box` ({left, top, width, height}). {x, y, ahead}: ahead is false behind the camera.
export function toScreen(view, projection, world, box) {
  const eye = [0, 1, 2, 3].map((r) => view[r] * world[0] + view[4 + r] * world[1] + view[8 + r] * world[2] + view[12 + r]);
  const clip = [0, 1, 3].map((r) => projection[r] * eye[0] + projection[4 + r] * eye[1] +
    projection[8 + r] * eye[2] + projection[12 + r] * eye[3]);
  return {
    x: box.left + ((clip[0] / clip[2] + 1) / 2) * box.width,
    y: box.top + ((1 - clip[1] / clip[2]) / 2) * box.height,
    ahead: clip[2] > 0,
  };
}

// Which names to show over the map, and where: `candidates` in priority order (coarse levels first,
// then larger regions), each {x, y, width, height, radius, level} in screen pixels, (x, y) the centre
// of the name and `radius` its region's on screen; or with `places`, a list of centres to try in
// turn (the first that fits wins). A name shows when its box lies inside `box` ({left, top, right,
// bottom}), overlaps neither a name placed before it nor one of `options.blocked` (boxes kept free,
// such as the point card) with `gap` pixels between, and its region is neither too small on screen
// for its level (finer levels need `minRadius`; the coarsest level always may) nor, for a level with
// finer ones below it, so large that it fills the view (over `maxRadius`): then the finer names take
// over. A name near an edge of `box` is moved inside it. The names shown: [{index, left, top}], with
// the top left corner of each.
export function placeNames(candidates, box, options) {
  const gap = options.gap || 0, finest = options.finest || 0;
  const placed = (options.blocked || []).slice(), shown = [];
  const overlaps = (rect) => placed.some((other) => rect.left < other.right + gap && other.left < rect.right + gap &&
    rect.top < other.bottom + gap && other.top < rect.bottom + gap);
  candidates.forEach((name, index) => {
    if (name.level > 0 && name.radius < options.minRadius) return;
    if (name.level < finest && name.radius > options.maxRadius) return;
    if (name.width > box.right - box.left || name.height > box.bottom - box.top) return;
    const places = name.places || [{ x: name.x, y: name.y }];
    for (const place of places) {
      // a name whose place is on screen is moved inside it
      if (!(place.x >= box.left && place.x <= box.right && place.y >= box.top && place.y <= box.bottom)) continue;
      const left = Math.min(Math.max(place.x - name.width / 2, box.left), box.right - name.width);
      const top = Math.min(Math.max(place.y - name.height / 2, box.top), box.bottom - name.height);
      const rect = { left: left, right: left + name.width, top: top, bottom: top + name.height };
      if (overlaps(rect)) continue;
      placed.push(rect);
      shown.push({ index: index, left: left, top: top });
      return;
    }
  });
  return shown;
}

// The view a map link keeps, read from a location hash: "#item=49&layout=1&colour=decade&only=1990s
// &search=star&camera=x,y,z,tx,ty,tz[,zoom]". {item, layout, colour, only, search, camera}, each
// null when the hash does not say (or says it wrongly); camera {position, target, zoom (2-D)}.
// An old link, "#item=49", is a view with only a point.
export function readView(hash) {
  const params = new URLSearchParams(String(hash || "").replace(/^#/, ""));
  const whole = (text) => (/^\d+$/.test(text || "") ? Number(text) : null);
  const numbers = (params.get("camera") || "").split(",").map(Number);
  const camera = (numbers.length === 6 || numbers.length === 7) && numbers.every(Number.isFinite)
    ? { position: numbers.slice(0, 3), target: numbers.slice(3, 6), zoom: numbers.length === 7 ? numbers[6] : null }
    : null;
  return {
    item: whole(params.get("item")),
    layout: whole(params.get("layout")),
    colour: params.get("colour"),
    only: params.get("only"),
    search: params.get("search"),
    camera: camera,
  };
}

// The hash of a view (readView's inverse): only what is set, in a fixed order, the camera to a
// thousandth of the map's span ([-1, 1]) and its 2-D zoom to a hundredth. "" for an empty view.
export function writeView(view) {
  const params = new URLSearchParams();
  if (view.item != null) params.set("item", String(view.item));
  if (view.layout != null) params.set("layout", String(view.layout));
  if (view.colour != null) params.set("colour", view.colour);
  if (view.only != null) params.set("only", view.only);
  if (view.search) params.set("search", view.search);
  if (view.camera) {
    const round = (value, digits) => String(Number(value.toFixed(digits)) || 0); // "-0" as "0"
    const parts = view.camera.position.concat(view.camera.target).map((value) => round(value, 3));
    if (view.camera.zoom != null) parts.push(round(view.camera.zoom, 2));
    params.set("camera", parts.join(","));
  }
  const text = params.toString().replace(/%2C/g, ",");
  return text ? "#" + text : "";
}

// Run `start` once the map has opened: on MAP_READY, which projector.js sends then, or at once if
// it has opened already. Each map-*.js module starts this way.
export function whenMapOpens(start) {
  let started = false;
  const once = () => {
    if (started) return;
    started = true;
    start();
  };
  document.addEventListener(MAP_READY, once);
  const status = window.portalProjector;
  if (status && status.state !== "loading") once();
}

// Call `then(number)` after the projector puts its bookmark `number` (a precomputed layout) on
// screen, however it was asked for, and `then(null)` when a projection the visitor runs in the
// browser (PCA, t-SNE, UMAP) moves the points elsewhere; the projector announces both alike as a
// change of projection, so the bookmarks' own are told apart by happening while one loads. One
// wrapper on the bookmarks panel serves every caller. False when there is no such panel (yet).
export function followLayouts(projector, then) {
  const panel = projector && projector.bookmarkPanel;
  if (!panel || typeof panel.loadSavedState !== "function") return false;
  if (!panel.portalsLayoutListeners) {
    const listeners = (panel.portalsLayoutListeners = []);
    const load = panel.loadSavedState;
    let loading = false;
    panel.loadSavedState = function (number) {
      loading = true;
      try {
        return load.apply(this, arguments);
      } finally {
        loading = false;
        listeners.forEach((listener) => listener(number));
      }
    };
    projector.registerProjectionChangedListener(() => {
      if (!loading) listeners.forEach((listener) => listener(null));
    });
  }
  panel.portalsLayoutListeners.push(then);
  return true;
}

// Put the projector's bookmark `number` (a precomputed layout) on screen, marked as chosen in the
// bookmarks panel. Loading a state clears the selection and the search box's message: the points
// chosen stay chosen, and the message stays. False when there is no such bookmark.
export function loadLayout(projector, number) {
  const panel = projector.bookmarkPanel;
  if (!panel || !panel.savedStates || !panel.savedStates[number]) return false;
  const chosen = (projector.selectedPointIndices || []).slice();
  keepingSearchMessage(projector, () => {
    panel.loadSavedState(number);
    panel.setSelectionState(number, true);
    if (chosen.length) projector.notifySelectionChanged(chosen);
  });
  return true;
}

// What toScreen needs to place points of the scatter plot `plot` now: its camera's view and
// projection matrices (the camera's world matrix updated first) and the canvas's box on the page.
export function screenOf(plot) {
  const camera = plot.camera;
  camera.updateMatrixWorld();
  return {
    view: camera.matrixWorldInverse.elements,
    lens: camera.projectionMatrix.elements,
    canvas: plot.container.querySelector("canvas").getBoundingClientRect(),
  };
}
