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
