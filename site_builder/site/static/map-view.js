/* A link that keeps the view: the map's address holds the chosen point, the layout, the colouring,
 * the category shown alone, the search and, once the visitor has moved it, the camera
 * (map-core.readView / writeView), so that a copied link opens the same view; every point the
 * visitor chooses is a step of the browser's history, so back and forward go through them. Old
 * links ("#item=49") keep working: they are views with only a point.
 *
 * An ES module, run after projector.js (which selects the linked point as the map opens, and
 * reselects on a changed hash) and map-key.js (window.portalKey, the filter). It takes over the
 * address once the map has opened (MAP_READY), when it applies the rest of the linked view.
 */
import { callAfter, followLayouts, loadLayout, readView, scatterPlotOf, whenMapOpens, writeView } from "./map-core.js";

const projector = document.querySelector("vz-projector");
if (projector) start(projector);

function start(projector) {
  const openingColour = projector.getAttribute("data-colour-column") || "No color map";
  const NO_COLOURS = "No color map";
  let layout = 0; // the precomputed layout on screen (a bookmark's number), null on another projection
  let moved = false; // the visitor moved the camera since the layout was shown
  let applying = true; // until the linked view is applied, and while a view from the history is
  let writeTimer = null;

  function plot() {
    return scatterPlotOf(projector);
  }

  function searchBox() {
    return projector.inspectorPanel && projector.inspectorPanel.searchBox;
  }

  // ------------------------------------------------------------ the view now, and the address

  function current() {
    const panel = projector.dataPanel;
    const colour = panel ? panel.selectedColorOptionName : null;
    const box = searchBox();
    const chosen = projector.selectedPointIndices || [];
    const point = chosen.length === 1 && projector.dataSet ? projector.dataSet.points[chosen[0]] : null;
    const scatter = plot();
    let camera = null;
    if (moved && scatter && scatter.camera) {
      camera = {
        position: scatter.getCameraPosition(),
        target: scatter.getCameraTarget(),
        zoom: scatter.sceneIs3D() ? null : scatter.camera.zoom,
      };
    }
    return {
      item: point ? point.index : null, // its row in metadata.txt
      layout: layout == null || layout === 0 ? null : layout,
      colour: colour == null || colour === openingColour ? null : colour === NO_COLOURS ? "none" : colour,
      only: window.portalKey ? window.portalKey.filter : null,
      search: box && box.getValue() ? box.getValue() : null,
      camera: camera,
    };
  }

  // The address of the view now: a new step of the history when the chosen point changed (another
  // point, or none: closing the card is a step that back undoes).
  function write() {
    if (applying) return;
    window.clearTimeout(writeTimer);
    const view = current();
    const hash = writeView(view);
    if ((window.location.hash || "") === hash) return;
    const url = window.location.pathname + window.location.search + hash;
    if (view.item !== readView(window.location.hash).item) {
      window.history.pushState(null, "", url);
    } else {
      window.history.replaceState(window.history.state, "", url);
    }
  }

  function writeSoon() {
    if (applying) return;
    window.clearTimeout(writeTimer);
    writeTimer = window.setTimeout(write, 250);
  }

  // ------------------------------------------------------------ applying a view

  function showColours(name) {
    const panel = projector.dataPanel;
    const wanted = name == null ? openingColour : name === "none" ? NO_COLOURS : name;
    const known = panel && (panel.colorOptions || []).some((option) => option.name === wanted && !option.isSeparator);
    if (known && panel.selectedColorOptionName !== wanted) panel.selectedColorOptionName = wanted;
  }

  function showSearch(text) {
    const box = searchBox();
    if (box && (box.getValue() || "") !== (text || "")) box.setValue(text || "", box.getInRegexMode());
  }

  // `view` on the map: all of it (a step of the history), or on opening only what the link names
  // (the visitor may have searched or chosen a colouring while the map opened).
  function apply(view, whole) {
    applying = true;
    try {
      const wanted = view.layout == null ? 0 : view.layout;
      if ((view.layout != null || whole) && wanted !== layout) loadLayout(projector, wanted);
      if (view.colour != null || whole) showColours(view.colour);
      if (window.portalKey && (view.only != null || whole)) window.portalKey.show(view.only);
      if (view.search != null || whole) showSearch(view.search);
      const status = window.portalProjector;
      if (view.item != null && status && status.select) {
        status.select(view.item, !view.camera);
      } else if (whole && view.item == null && !view.search && (projector.selectedPointIndices || []).length) {
        projector.notifySelectionChanged([]);
      }
      const scatter = plot();
      if (view.camera && scatter) {
        if (!scatter.sceneIs3D() && view.camera.zoom) {
          scatter.camera.zoom = view.camera.zoom;
          scatter.camera.updateProjectionMatrix();
        }
        scatter.setCameraPositionAndTarget(view.camera.position, view.camera.target);
      }
      moved = !!view.camera;
    } finally {
      applying = false;
    }
  }

  // ------------------------------------------------------------ start

  function follow() {
    followLayouts(projector, (number) => {
      layout = number; // null: a projection the visitor runs in the browser, no precomputed layout
      moved = false; // a layout frames itself
      write();
    });
    projector.registerSelectionChangedListener(write);
    callAfter(projector, "setSelectedColorOption", write);
    if (window.portalKey) window.portalKey.onChange(write);
    const box = searchBox();
    if (box) box.registerInputChangedListener(writeSoon);
    const scatter = plot();
    if (scatter) {
      scatter.onCameraMove(() => { moved = true; });
      callAfter(scatter, "render", () => { if (moved) writeSoon(); });
    }
    window.addEventListener("popstate", () => apply(readView(window.location.hash), true));
    // after projector.js has selected the linked point (right after MAP_READY, in the same task)
    window.setTimeout(() => {
      const status = window.portalProjector || {};
      layout = status.state === "applied" ? 0 : null;
      apply(readView(window.location.hash), false);
      write();
    }, 0);
  }

  whenMapOpens(follow);
}
