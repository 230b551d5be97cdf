/* The map's named regions: what is where, written over the map as text in the page.
 *
 * The build finds the regions of each precomputed layout at three levels of detail and names them
 * from the points' own categories (site_builder/model/regions.py, regions.json: per layout, in the
 * bookmarks' order, {name, level, anchor, radius, count, terms}). Here each name is placed at its
 * region's anchor point as the projector draws it, in 3-D as in 2-D, every time the map is drawn
 * (so names follow pan, zoom and rotation); coarse names first, finer ones once their region is
 * large enough on screen, never two over each other (map-core.placeNames). They are elements of the
 * page, so screen readers and the browser's find see them; they let the pointer through to the map.
 * The "Names" switch hides them, and they give way to a chosen point's neighbours (map-chosen.js). Names show only on the precomputed layouts they were found on, with
 * every point on the map (not after the visitor isolates some, or runs a projection of their own).
 *
 * An ES module, run after projector.js; it starts when the map has opened (MAP_READY).
 */
import { callAfter, followLayouts, placeNames, scatterPlotOf, screenOf, toScreen, whenMapOpens } from "./map-core.js";

const projector = document.querySelector("vz-projector");
const source = projector && projector.getAttribute("data-regions");
const toggle = document.querySelector("[data-region-toggle]");
if (projector && source) start(projector, source);

// A finer name shows once its region's radius on screen is this many pixels, and a name with finer
// ones below it gives way to them once its region's radius is more than this share of the map.
const MIN_RADIUS = 24;
const MAX_RADIUS_SHARE = 0.45;
const GAP = 6; // px between two names

function start(projector, source) {
  const layer = document.createElement("div");
  layer.className = "region-names";
  layer.setAttribute("role", "list");
  layer.setAttribute("aria-label", "Regions of the map");
  projector.insertAdjacentElement("afterend", layer);

  let regions = null; // regions.json
  let layout = 0; // the bookmark on screen, or null on another projection
  let hidden = false;
  let elements = []; // one per region of the current layout, in priority order
  let ordered = []; // the regions of the current layout, in priority order
  let firstShownMs = null; // when the first names showed, in ms since navigation
  let sizes = null; // each name's [width, height], measured once per layout (they do not change)

  fetch(source).then((response) => {
    if (!response.ok) throw new Error(source + " answered " + response.status);
    return response.json();
  }).then((found) => {
    regions = found;
    useLayout(layout);
  }).catch((error) => console.warn("the map shows no region names:", error.message));

  // The regions of layout `number` as elements, coarse levels first, larger regions first.
  function useLayout(number) {
    layout = number;
    layer.textContent = "";
    const list = regions && number != null ? regions.layouts[number] || [] : [];
    ordered = list.map((region, index) => Object.assign({ index: index }, region))
      .sort((a, b) => a.level - b.level || b.count - a.count);
    elements = ordered.map((region) => {
      const name = document.createElement("span");
      name.dataset.region = String(region.index); // its place in regions.json
      name.className = "region-name region-level-" + region.level + (region.terms.length ? "" : " region-members");
      name.setAttribute("role", "listitem");
      name.textContent = region.name;
      name.title = describe(region);
      name.hidden = true;
      layer.appendChild(name);
      return name;
    });
    sizes = null;
    place();
  }

  // "Horror: 84% of these 60 points, 5% of the map" (the name's tooltip).
  function describe(region) {
    const points = region.count.toLocaleString("en") + " points";
    if (!region.terms.length) return region.name + ": the best known of " + points;
    return region.terms.map((term) => term.text + ": " + Math.round(term.share * 100) + "% of these " + points +
      ", " + Math.round(term.overall * 100) + "% of the map").join("; ");
  }

  function measure() {
    layer.hidden = false;
    elements.forEach((element) => { element.hidden = false; element.style.visibility = "hidden"; });
    sizes = elements.map((element) => [element.offsetWidth, element.offsetHeight]);
    elements.forEach((element) => { element.hidden = true; element.style.visibility = ""; });
  }

  function place() {
    const plot = scatterPlotOf(projector);
    const data = projector.dataSet;
    const positions = plot && plot.worldSpacePointPositions;
    const all = projector.originalDataSet || data;
    const complete = data && positions && data.points.length > 0 && data.points.length === positions.length / 3 &&
      data.points.length === all.points.length;
    // a chosen point's neighbours are named instead (map-chosen.js)
    const chosen = (projector.selectedPointIndices || []).length === 1;
    layer.hidden = hidden || chosen || !ordered.length || layout == null || !complete || !plot.camera;
    document.body.classList.toggle("regions-shown", !layer.hidden);
    if (layer.hidden) return;
    if (!sizes) measure();
    const { view, lens, canvas } = screenOf(plot);
    const right = plot.camera.matrixWorld.elements.slice(0, 3); // the camera's right, in the world
    const host = layer.offsetParent ? layer.offsetParent.getBoundingClientRect() : { left: 0, top: 0 };
    const candidates = ordered.map((region, i) => {
      const at = 3 * region.anchor;
      const world = [positions[at], positions[at + 1], positions[at + 2]];
      const centre = toScreen(view, lens, world, canvas);
      const edge = toScreen(view, lens, world.map((value, axis) => value + right[axis] * region.radius), canvas);
      return {
        x: centre.x, y: centre.y, width: sizes[i][0], height: sizes[i][1], level: region.level,
        radius: centre.ahead ? Math.hypot(edge.x - centre.x, edge.y - centre.y) : -1,
      };
    });
    const finest = ordered.reduce((deepest, region) => Math.max(deepest, region.level), 0);
    const shown = placeNames(
      candidates.map((c) => (c.radius < 0 ? Object.assign({}, c, { x: -1e9 }) : c)),
      { left: canvas.left, top: canvas.top, right: canvas.right, bottom: canvas.bottom },
      { gap: GAP, minRadius: MIN_RADIUS, maxRadius: MAX_RADIUS_SHARE * Math.min(canvas.width, canvas.height), finest },
    );
    elements.forEach((element) => { element.hidden = true; });
    if (shown.length && firstShownMs == null) firstShownMs = performance.now();
    shown.forEach((name) => {
      const element = elements[name.index];
      element.hidden = false;
      element.style.left = name.left - host.left + "px";
      element.style.top = name.top - host.top + "px";
    });
  }

  function setHidden(value) {
    hidden = value;
    if (toggle) toggle.setAttribute("aria-pressed", hidden ? "false" : "true");
    place();
  }
  if (toggle) toggle.addEventListener("click", () => setHidden(!hidden));

  whenMapOpens(() => {
    // the map opens on the first layout, unless the visitor chose a projection before it came
    if (window.portalProjector.state !== "applied") useLayout(null);
    callAfter(scatterPlotOf(projector), "render", place);
    // another layout, or a projection the visitor runs (which moves the points elsewhere: null)
    followLayouts(projector, useLayout);
    projector.registerSelectionChangedListener(() => place());
    window.addEventListener("resize", place);
    place();
  });

  // for the browser tests and benchmarks/map_page.py: the names on screen now, and since when
  window.portalRegions = {
    shown: () => elements.filter((element) => !element.hidden && !layer.hidden).map((e) => e.textContent),
    layout: () => layout,
    firstShownMs: () => firstShownMs,
  };
}
