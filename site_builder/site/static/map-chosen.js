/* A chosen point that reads: its neighbours' names beside their pictures, as text in the page,
 * never over each other, the point card, the key or the layout switch.
 *
 * The projector writes the labels of the chosen point, its neighbours and the point under the
 * pointer on its canvas, where they pile up over each other and over the pictures in 3-D. Those
 * labels are left out (the card names the chosen point and the point under the pointer; on a phone,
 * where the card is docked below the map, the chosen point is named here too), and the
 * neighbours' names are placed here instead, in their rank order, each beside its point: to its
 * right, left, above or below, whichever is free first (map-core.placeNames). While a point is
 * chosen the region names give way to them (map-regions.js).
 *
 * An ES module, run after projector.js; it starts when the map has opened (MAP_READY).
 */
import { callAfter, cardText, placeNames, scatterPlotOf, screenOf, toScreen, whenMapOpens } from "./map-core.js";

const projector = document.querySelector("vz-projector");
if (projector) start(projector);

const OFFSET = 12; // px from a point's centre to the nearest edge of its name
const GAP = 4; // px between two names

function start(projector) {
  const card = document.getElementById("point-card");
  const layer = document.createElement("ol");
  layer.className = "neighbour-names";
  layer.hidden = true;
  projector.insertAdjacentElement("afterend", layer);
  let chosen = null; // position of the chosen point in the data set
  let neighbours = []; // [{index: position, dist}], nearest first
  let named = []; // the chosen point, then its neighbours
  let elements = [];
  let sizes = [];

  function labelOf(position) {
    const point = projector.dataSet.points[position];
    return cardText(point.metadata[projector.selectedLabelOption]) || "#" + point.index;
  }

  function onSelection(selected, nearest) {
    chosen = selected && selected.length === 1 ? selected[0] : null;
    neighbours = chosen == null ? [] : (nearest || []).slice();
    layer.textContent = "";
    // the chosen point first: named on the map when its card is docked away from it (on a phone)
    named = chosen == null ? [] : [{ index: chosen }].concat(neighbours);
    elements = named.map((point, rank) => {
      const item = document.createElement("li");
      item.className = rank === 0 ? "neighbour-name chosen-name" : "neighbour-name";
      item.value = rank;
      item.textContent = labelOf(point.index);
      layer.appendChild(item);
      return item;
    });
    layer.setAttribute("aria-label", chosen == null ? "" : "Nearest to " + labelOf(chosen));
    layer.hidden = !elements.length;
    sizes = elements.map((element) => [element.offsetWidth, element.offsetHeight]);
    place();
  }

  // The boxes the names keep clear of, in page coordinates.
  function blocked() {
    return ["#point-card", "#map-key", ".layout-switch"]
      .map((selector) => document.querySelector(selector))
      .filter((element) => element && !element.hidden && element.offsetParent)
      .map((element) => element.getBoundingClientRect());
  }

  function place() {
    const plot = scatterPlotOf(projector);
    const positions = plot && plot.worldSpacePointPositions;
    if (!elements.length || !positions || !plot.camera) return;
    const { view, lens, canvas } = screenOf(plot);
    const host = layer.offsetParent ? layer.offsetParent.getBoundingClientRect() : { left: 0, top: 0 };
    const docked = card && !card.hidden && card.classList.contains("point-card-docked");
    const candidates = named.map((point, i) => {
      const at = 3 * point.index;
      const where = toScreen(view, lens, [positions[at], positions[at + 1], positions[at + 2]], canvas);
      const [width, height] = sizes[i];
      const across = OFFSET + width / 2, up = OFFSET + height / 2;
      return {
        width: width, height: height, level: 0, radius: 0,
        places: where.ahead && (i > 0 || docked) ? [
          { x: where.x + across, y: where.y }, { x: where.x - across, y: where.y },
          { x: where.x, y: where.y - up }, { x: where.x, y: where.y + up },
        ] : [],
      };
    });
    const shown = placeNames(candidates,
      { left: canvas.left, top: canvas.top, right: canvas.right, bottom: canvas.bottom },
      { gap: GAP, blocked: blocked() });
    elements.forEach((element) => { element.hidden = true; });
    shown.forEach((name) => {
      const element = elements[name.index];
      element.hidden = false;
      element.style.left = name.left - host.left + "px";
      element.style.top = name.top - host.top + "px";
    });
  }

  // The projector's own labels (chosen point, neighbours, the point under the pointer) left out.
  function quietLabels() {
    const adapter = projector.projectorScatterPlotAdapter;
    if (!adapter || adapter.portalsQuietLabels || typeof adapter.generateVisibleLabelRenderParams !== "function") return;
    const labels = adapter.generateVisibleLabelRenderParams;
    adapter.generateVisibleLabelRenderParams = function (data) {
      return labels.call(this, data, [], [], null);
    };
    adapter.portalsQuietLabels = true;
    adapter.updateScatterPlotAttributes();
  }

  whenMapOpens(() => {
    quietLabels();
    projector.registerSelectionChangedListener(onSelection);
    callAfter(scatterPlotOf(projector), "render", place);
    window.addEventListener("resize", place);
    onSelection(projector.selectedPointIndices || [], projector.neighborsOfFirstPoint || []);
  });
}
