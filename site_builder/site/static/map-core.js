/* Projector Portals: the map page's pure functions (used by projector.js and map-ui.js).
 *
 * Nothing here touches the page or the projector: every input is an argument, so node's test
 * runner checks them (tests/js/).
 */

// The point of a `#item=<row>` in a location hash ("#item=12", "#x=1&item=12"), else null.
export function itemFromHash(hash) {
  var match = /(?:^#|&)item=(\d+)/.exec(hash || "");
  return match ? Number(match[1]) : null;
}

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
