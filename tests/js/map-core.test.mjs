// The map page's pure functions (site/static/map-core.js), used by projector.js and map-ui.js.
import { describe, it, test } from "node:test";
import assert from "node:assert/strict";

import {
  callAfter, cardText, followLayouts, keepingSearchMessage, loadLayout, MAP_READY, orderLegendItems, placeNames, readView,
  scatterPlotOf, screenOf, span, toScreen, whenMapOpens, writeView,
} from "../../site_builder/site/static/map-core.js";

describe("span", function () {
  it("is the smallest and the largest value", function () {
    assert.deepEqual(span([3, -1, 7, 0]), [-1, 7]);
    assert.deepEqual(span(new Float32Array([2.5])), [2.5, 2.5]);
    assert.deepEqual(span([]), [Infinity, -Infinity]);
  });

  it("takes the positions of a map of 200,000 points, where Math.min.apply overflows the stack", function () {
    const values = Array.from({ length: 3 * 200_000 }, (_, i) => Math.sin(i) * 10);
    assert.throws(() => Math.min.apply(null, values), RangeError);
    const [low, high] = span(values);
    assert.ok(low >= -10 && low < -9.99 && high <= 10 && high > 9.99);
  });
});

describe("readView's point (an old link's #item=)", function () {
  it("reads the row of #item=", function () {
    assert.equal(readView("#item=12").item, 12);
    assert.equal(readView("#item=0").item, 0);
    assert.equal(readView("#like=1&item=7").item, 7);
    assert.equal(readView("#item=5&item=6").item, 5);
  });

  it("finds no row where there is none", function () {
    for (const hash of ["", "#", "#item=", "#item=-1", "#item=toy", "#myitem=4", "#x&myitem=4", undefined, null]) {
      assert.equal(readView(hash).item, null, String(hash));
    }
  });
});

describe("orderLegendItems", function () {
  function items(labels) { return labels.map(function (label) { return { label: label, count: 1 }; }); }

  it("puts the build's order first and keeps the rest as they were", function () {
    var given = items(["25-34", "Under 18", "56+", "18-24", "(none)"]);
    var ordered = orderLegendItems(given, ["Under 18", "18-24", "25-34", "35-44", "56+"]);
    assert.deepEqual(ordered.map(function (item) { return item.label; }), ["Under 18", "18-24", "25-34", "56+", "(none)"]);
    assert.ok(ordered.every(function (item) { return given.indexOf(item) >= 0; }), "the same objects");
    assert.notEqual(ordered, given);
    assert.deepEqual(given.map(function (item) { return item.label; })[0], "25-34", "the given list is left as it was");
  });

  it("leaves the legend as it is without an order", function () {
    var given = items(["1990s", "1950s"]);
    assert.deepEqual(orderLegendItems(given, []), given);
  });

  it("takes no label for an inherited property", function () {
    var given = items(["1990s", "1950s"]);
    var ordered = orderLegendItems(given, ["constructor", "1950s", "__proto__", "toString", "1990s"]);
    assert.deepEqual(ordered.map(function (item) { return item.label; }), ["1950s", "1990s"]);
  });
});

describe("cardText", function () {
  it("writes multi-valued cells as a list, and nothing for no value", function () {
    assert.equal(cardText("Crime|Thriller"), "Crime, Thriller");
    assert.equal(cardText("Heat"), "Heat");
    assert.equal(cardText(1995), "1995");
    assert.equal(cardText(0), "0");
    assert.equal(cardText(""), "");
    assert.equal(cardText(null), "");
    assert.equal(cardText(undefined), "");
  });
});

test("callAfter wraps a method once and runs every caller's function after it, with its arguments", () => {
  const calls = [];
  const panel = { loaded: [], loadSavedState(number) { this.loaded.push(number); calls.push("load " + number); return "done"; } };
  const frame = () => calls.push("frame");
  const pressed = (number) => calls.push("pressed " + number);
  assert.equal(callAfter(panel, "loadSavedState", frame), true);
  const wrapped = panel.loadSavedState;
  assert.equal(callAfter(panel, "loadSavedState", pressed), true);
  assert.equal(callAfter(panel, "loadSavedState", frame), true); // the same function: once
  assert.equal(panel.loadSavedState, wrapped); // wrapped once, however many callers
  assert.equal(panel.loadSavedState(1), "done");
  assert.deepEqual(panel.loaded, [1]); // `this` is the panel
  assert.deepEqual(calls, ["load 1", "frame", "pressed 1"]);
});

test("callAfter leaves what has no such method, and scatterPlotOf waits for the projector's plot", () => {
  assert.equal(callAfter(null, "render", () => {}), false);
  assert.equal(callAfter({ render: 3 }, "render", () => {}), false);
  assert.equal(scatterPlotOf(undefined), null);
  assert.equal(scatterPlotOf({}), null);
  const plot = { render() {} };
  assert.equal(scatterPlotOf({ projectorScatterPlotAdapter: { scatterPlot: plot } }), plot);
  assert.equal(typeof MAP_READY, "string");
});

test("keepingSearchMessage gives back the search's message after an action that cleared it, even one that throws", () => {
  const projector = { inspectorPanel: { searchBox: { message: "1 matches." } } };
  const result = keepingSearchMessage(projector, () => { projector.inspectorPanel.searchBox.message = ""; return 7; });
  assert.equal(result, 7);
  assert.equal(projector.inspectorPanel.searchBox.message, "1 matches.");
  assert.throws(() => keepingSearchMessage(projector, () => {
    projector.inspectorPanel.searchBox.message = "";
    throw new Error("boom");
  }), /boom/);
  assert.equal(projector.inspectorPanel.searchBox.message, "1 matches.");
  assert.equal(keepingSearchMessage({}, () => "no panel yet"), "no panel yet");
});

describe("toScreen", function () {
  const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const box = { left: 100, top: 50, width: 400, height: 200 };

  it("maps clip space onto the box, y downwards", function () {
    assert.deepEqual(toScreen(identity, identity, [0, 0, 0], box), { x: 300, y: 150, ahead: true });
    assert.deepEqual(toScreen(identity, identity, [1, 1, 0], box), { x: 500, y: 50, ahead: true });
    assert.deepEqual(toScreen(identity, identity, [-1, -1, 0], box), { x: 100, y: 250, ahead: true });
  });

  it("moves with the camera and divides by depth, and knows what is behind it", function () {
    const moved = identity.slice();
    moved[12] = -0.5; // the view matrix of a camera half a unit to the right
    assert.equal(toScreen(moved, identity, [0, 0, 0], box).x, 200);
    // a perspective that puts -z in front (w = -z), as three.js' does
    const lens = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1, -1, 0, 0, 0, 0];
    assert.equal(toScreen(identity, lens, [1, 0, -2], box).x, 400); // x / w = 1 / 2
    assert.equal(toScreen(identity, lens, [1, 0, -2], box).ahead, true);
    assert.equal(toScreen(identity, lens, [1, 0, 2], box).ahead, false);
  });
});

describe("placeNames", function () {
  const box = { left: 0, top: 0, right: 400, bottom: 300 };
  const options = { gap: 4, minRadius: 30, maxRadius: 150, finest: 2 };
  const name = (x, y, level, radius, width) => ({ x, y, level, radius, width: width || 80, height: 20 });

  it("keeps the first of two names that would overlap, with the gap between them", function () {
    const shown = placeNames([name(100, 100, 0, 10), name(150, 110, 0, 10), name(100, 200, 0, 10)], box, options);
    assert.deepEqual(shown.map((s) => s.index), [0, 2]);
    assert.deepEqual(shown[0], { index: 0, left: 60, top: 90 });
    // 2 px apart is within the gap; 5 px apart is not
    assert.equal(placeNames([name(100, 100, 0, 10), name(182, 100, 0, 10)], box, options).length, 1);
    assert.equal(placeNames([name(100, 100, 0, 10), name(185, 100, 0, 10)], box, options).length, 2);
  });

  it("shows finer names once their region is large on screen, coarser ones until it fills the view", function () {
    const candidates = [name(100, 50, 0, 20), name(100, 120, 1, 20), name(100, 200, 2, 40)];
    assert.deepEqual(placeNames(candidates, box, options).map((s) => s.index), [0, 2]);
    const zoomed = [name(100, 50, 0, 400), name(100, 120, 1, 100), name(100, 200, 2, 200)];
    assert.deepEqual(placeNames(zoomed, box, options).map((s) => s.index), [1, 2]);
  });

  it("moves a name near an edge inside the view, and drops one whose place is off it", function () {
    const shown = placeNames([name(10, 295, 0, 10), name(-5, 100, 0, 10), name(200, 100, 0, 10, 500)], box, options);
    assert.deepEqual(shown, [{ index: 0, left: 0, top: 280 }]);
  });
});

describe("readView and writeView", function () {
  it("read an old link as a view with only a point", function () {
    assert.deepEqual(readView("#item=49"),
      { item: 49, layout: null, colour: null, only: null, search: null, camera: null });
    assert.deepEqual(readView(""), readView("#"));
  });

  it("write only what is set, and read back what they wrote", function () {
    const view = {
      item: 49, layout: 1, colour: "decade", only: "Children's & Family", search: "star wars",
      camera: { position: [0.12345, -1, 2.5], target: [0, 0.0004, -0.3], zoom: 2.345 },
    };
    const hash = writeView(view);
    assert.equal(hash, "#item=49&layout=1&colour=decade&only=Children%27s+%26+Family&search=star+wars" +
      "&camera=0.123,-1,2.5,0,0,-0.3,2.35");
    assert.deepEqual(readView(hash), {
      item: 49, layout: 1, colour: "decade", only: "Children's & Family", search: "star wars",
      camera: { position: [0.123, -1, 2.5], target: [0, 0, -0.3], zoom: 2.35 },
    });
    assert.equal(writeView({ item: null, camera: { position: [1, 2, 3], target: [0, 0, 0], zoom: null } }),
      "#camera=1,2,3,0,0,0");
    assert.equal(writeView({}), "");
  });

  it("ignore what they cannot read", function () {
    const view = readView("#item=x&layout=-1&camera=1,2,nope,4,5,6");
    assert.equal(view.item, null);
    assert.equal(view.layout, null);
    assert.equal(view.camera, null);
    assert.equal(readView("#camera=1,2,3").camera, null);
  });
});

describe("placeNames with places to try and boxes kept free", function () {
  const box = { left: 0, top: 0, right: 400, bottom: 300 };
  const label = (places) => ({ places, width: 60, height: 20, level: 0, radius: 0 });

  it("takes the first place that fits, and never covers a box kept free", function () {
    const card = { left: 150, top: 80, right: 300, bottom: 200 };
    const shown = placeNames(
      [label([{ x: 100, y: 100 }]), label([{ x: 120, y: 100 }, { x: 100, y: 140 }]), label([{ x: 200, y: 120 }])],
      box, { gap: 2, blocked: [card] });
    assert.deepEqual(shown, [{ index: 0, left: 70, top: 90 }, { index: 1, left: 70, top: 130 }]);
  });
});

// A projector of plain objects: a bookmarks panel whose states count as layouts, and listeners.
function fakeProjector(states) {
  const projector = {
    selectedPointIndices: [],
    projectionListeners: [],
    registerProjectionChangedListener(listener) { this.projectionListeners.push(listener); },
    notifySelectionChanged(points) { this.selectedPointIndices = points.slice(); },
    inspectorPanel: { searchBox: { message: "3 matches." } },
  };
  projector.bookmarkPanel = {
    savedStates: states,
    marked: null,
    loadSavedState(number) {
      // as the projector's loadState: a projection change, the selection and the message cleared
      projector.projectionListeners.forEach((listener) => listener({ projectionType: "umap" }));
      projector.selectedPointIndices = [];
      projector.inspectorPanel.searchBox.message = "";
      this.loaded = number;
    },
    setSelectionState(number, on) { this.marked = on ? number : null; },
  };
  return projector;
}

describe("followLayouts and loadLayout", function () {
  it("tell every follower of the layout on screen, and of a projection the visitor runs", function () {
    const projector = fakeProjector([{}, {}]);
    const first = [], second = [];
    assert.equal(followLayouts(projector, (n) => first.push(n)), true);
    followLayouts(projector, (n) => second.push(n));
    assert.equal(projector.projectionListeners.length, 1); // one wrapper serves both
    projector.bookmarkPanel.loadSavedState(1);
    projector.projectionListeners.forEach((listener) => listener({ projectionType: "pca" }));
    assert.deepEqual(first, [1, null]);
    assert.deepEqual(second, [1, null]);
    assert.equal(followLayouts({}, () => {}), false);
  });

  it("keep the chosen points and the search message, and mark the layout", function () {
    const projector = fakeProjector([{}, {}]);
    projector.selectedPointIndices = [4, 9];
    assert.equal(loadLayout(projector, 1), true);
    assert.deepEqual(projector.selectedPointIndices, [4, 9]);
    assert.equal(projector.inspectorPanel.searchBox.message, "3 matches.");
    assert.equal(projector.bookmarkPanel.loaded, 1);
    assert.equal(projector.bookmarkPanel.marked, 1);
    assert.equal(loadLayout(projector, 2), false);
  });
});

describe("screenOf", function () {
  it("updates the camera's matrices and reads the canvas's box", function () {
    let updated = false;
    const box = { left: 1, top: 2, width: 3, height: 4 };
    const plot = {
      camera: {
        updateMatrixWorld() { updated = true; },
        matrixWorldInverse: { elements: [1] }, projectionMatrix: { elements: [2] },
      },
      container: { querySelector: (selector) => (selector === "canvas" ? { getBoundingClientRect: () => box } : null) },
    };
    assert.deepEqual(screenOf(plot), { view: [1], lens: [2], canvas: box });
    assert.equal(updated, true);
  });
});

describe("whenMapOpens", function () {
  it("starts once: on MAP_READY, or at once when the map has opened already", function () {
    const saved = { document: globalThis.document, window: globalThis.window };
    try {
      globalThis.document = new EventTarget();
      globalThis.window = { portalProjector: { state: "loading" } };
      let runs = 0;
      whenMapOpens(() => runs++);
      assert.equal(runs, 0);
      document.dispatchEvent(new Event(MAP_READY));
      document.dispatchEvent(new Event(MAP_READY));
      assert.equal(runs, 1);
      window.portalProjector.state = "applied";
      let late = 0;
      whenMapOpens(() => late++);
      document.dispatchEvent(new Event(MAP_READY));
      assert.equal(late, 1);
    } finally {
      globalThis.document = saved.document;
      globalThis.window = saved.window;
    }
  });
});
