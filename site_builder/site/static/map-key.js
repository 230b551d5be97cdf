/* The map's key: what each colour means, on the map itself at every size (a phone hides the
 * projector's own legend behind "Colours & layouts"), and a filter: a click (or tap) on a category
 * shows only its points, with their count, and a second click shows every point again.
 *
 * The key follows the colouring the visitor picks in the projector's panel (its legend entries:
 * dataPanel.colorLegendRenderInfo, in the order and colours the map uses); a number column shows
 * its gradient, with no filter. The filter fades the other points to small pale dots (as Embedding
 * Atlas does; the projector draws no point smaller than 5 px), and keeps the layout, the camera and
 * the names as they are.
 *
 * An ES module, run after projector.js; it starts when the map has opened (MAP_READY). The
 * filter is window.portalKey.filter / show(label) for the page's link (map-view.js).
 */
import { callAfter, scatterPlotOf, whenMapOpens } from "./map-core.js";

const projector = document.querySelector("vz-projector");
const key = document.getElementById("map-key");
if (projector && key) start(projector, key);

function start(projector, key) {
  const list = key.querySelector(".map-key-list");
  const status = key.querySelector(".map-key-status");
  const noun = key.getAttribute("data-noun") || "points";
  let column = null; // the colour column the key shows
  let shown = null; // the category shown alone, or null for every point
  const listeners = [];

  function legend() {
    const panel = projector.dataPanel;
    const info = panel && panel.colorLegendRenderInfo;
    const name = panel && panel.selectedColorOptionName;
    if (!info || !name || name === "No color map") return null;
    return { column: name, items: info.items || [], thresholds: info.thresholds || [] };
  }

  function count(number) {
    return number.toLocaleString("en");
  }

  function draw() {
    const now = legend();
    if (!now || (!now.items.length && now.thresholds.length < 2)) {
      column = null;
      key.hidden = true;
      show(null);
      return;
    }
    if (now.column !== column) show(null);
    column = now.column;
    key.hidden = false;
    key.querySelector(".map-key-column").textContent = column.replace(/_/g, " ");
    list.textContent = "";
    if (now.items.length) {
      now.items.forEach((item) => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "map-key-entry";
        button.setAttribute("aria-pressed", item.label === shown ? "true" : "false");
        button.dataset.category = item.label;
        button.title = "Show only " + item.label + " (" + count(item.count) + ")";
        const swatch = document.createElement("span");
        swatch.className = "map-key-swatch";
        swatch.style.background = item.color;
        const label = document.createElement("span");
        label.className = "map-key-label";
        label.textContent = item.label;
        const number = document.createElement("span");
        number.className = "map-key-count";
        number.textContent = count(item.count);
        button.append(swatch, label, number);
        button.addEventListener("click", () => show(shown === item.label ? null : item.label));
        list.appendChild(button);
      });
    } else {
      const low = now.thresholds[0], high = now.thresholds[now.thresholds.length - 1];
      const bar = document.createElement("span");
      bar.className = "map-key-gradient";
      bar.style.background = "linear-gradient(to right, " + low.color + ", " + high.color + ")";
      const from = document.createElement("span");
      from.textContent = String(low.value);
      const to = document.createElement("span");
      to.textContent = String(high.value);
      list.append(from, bar, to);
    }
    describe();
  }

  function describe() {
    const data = projector.dataSet;
    const total = data ? data.points.length : 0;
    if (shown == null || !data) {
      status.textContent = "";
      status.hidden = true;
      key.classList.remove("map-key-filtered");
      return;
    }
    let matching = 0;
    data.points.forEach((point) => { if (String(point.metadata[column]) === shown) matching++; });
    status.hidden = false;
    status.textContent = "Showing " + count(matching) + " of " + count(total) + " " + noun + ": " + shown;
    key.classList.add("map-key-filtered");
  }

  // The other points drawn as faint dots: the smallest size the projector draws (its scale factor 0
  // gives 5 px) in a grey near the background, which multiplies a picture to almost nothing.
  const FADED = 0.9;
  function outside(data, i) {
    return String(data.points[i].metadata[column]) !== shown;
  }

  function fadeOthers() {
    const adapter = projector.projectorScatterPlotAdapter;
    if (!adapter || adapter.portalsFilters || typeof adapter.generatePointScaleFactorArray !== "function") return;
    const scale = adapter.generatePointScaleFactorArray, colour = adapter.generatePointColorArray;
    adapter.generatePointScaleFactorArray = function (data) {
      const factors = scale.apply(this, arguments);
      if (shown != null && data && column) {
        for (let i = 0; i < data.points.length; i++) if (outside(data, i)) factors[i] = 0;
      }
      return factors;
    };
    adapter.generatePointColorArray = function (data) {
      const colours = colour.apply(this, arguments);
      if (shown != null && data && column) {
        for (let i = 0; i < data.points.length; i++) {
          if (outside(data, i)) colours.fill(FADED, 3 * i, 3 * i + 3);
        }
      }
      return colours;
    };
    adapter.portalsFilters = true;
  }

  function show(category) {
    const changed = category !== shown;
    shown = category;
    list.querySelectorAll(".map-key-entry").forEach((button) => {
      button.setAttribute("aria-pressed", button.dataset.category === shown ? "true" : "false");
    });
    describe();
    const adapter = projector.projectorScatterPlotAdapter;
    if (changed && adapter && scatterPlotOf(projector)) {
      adapter.updateScatterPlotAttributes();
      adapter.render();
    }
    if (changed) listeners.forEach((listener) => listener(shown));
  }

  // On the map itself, at its bottom left (the projector's panels are beside it on a desktop).
  function place() {
    const plot = scatterPlotOf(projector);
    if (!plot || !key.offsetParent) return;
    const map = plot.container.getBoundingClientRect(), host = key.offsetParent.getBoundingClientRect();
    key.style.left = map.left - host.left + 10 + "px";
    key.style.maxWidth = Math.max(160, map.width - 20) + "px";
  }

  function follow() {
    fadeOthers();
    // the key follows the colouring, however it is picked (the panel, a bookmark, a link)
    callAfter(projector, "setSelectedColorOption", draw);
    draw();
    place();
    window.addEventListener("resize", place);
  }

  window.portalKey = {
    get filter() { return shown; },
    get column() { return column; },
    show: (category) => {
      const now = legend();
      const known = category != null && now && now.items.some((item) => item.label === String(category));
      show(known ? String(category) : null);
    },
    onChange: (listener) => listeners.push(listener),
  };

  whenMapOpens(follow);
}
