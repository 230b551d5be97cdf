/* Projector Portals: the recommendation page's pure functions (used by recommend.js).
 *
 * Nothing here touches the page, the URL or the loaded data: every input is an argument.
 * So node's test runner checks them (tests/js/) against the same cases (tests/cases/) as
 * their Python twins in site_builder/site/recommend.py, which make the files they read:
 *   fold           recommend.fold: the search keys are folded by Python, the queries here
 *   decodeVectors  recommend.dequantise: the vectors file back into unit rows
 *   rankTaste      recommend.taste_ranking: the taste query
 *   readProbe, probeClusters  taste_parts: which parts of a large portal's vectors a taste loads first
 * The map page (map-ui.js) shows pictures and similarities the same way: it imports
 * spriteOffset and similarityText from here.
 */

// Letters that NFKD does not split into a base letter and an accent (recommend.SPECIAL_LETTERS).
var SPECIAL = { "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "þ": "th", "ð": "d", "ı": "i" };

// ------------------------------------------------------------ text

// Lower case, accents and punctuation removed, words separated by one space:
// "Misérables, Les (1995)" -> "miserables les 1995", as the build folds the search keys.
export function fold(text) {
  return String(text).normalize("NFKD").replace(/\p{Mn}/gu, "").toLowerCase()
    .replace(/[øæœßłđþðı]/g, function (c) { return SPECIAL[c]; })
    .replace(/[^\p{L}\p{N}]+/gu, " ").trim();
}

export function formatNumber(n) { return Number(n).toLocaleString("en"); }

// A label inside a sentence, isolated so that a right-to-left one ("باب الحديد (1958)") keeps its
// own order and leaves the sentence's alone (first-strong isolate ... pop directional isolate).
export function isolate(text) { return "\u2068" + text + "\u2069"; }

export function plural(n, one, many) { return formatNumber(n) + " " + (n === 1 ? one : many); }

// The cosine similarity as a percentage: the recommendation page and the map's neighbour list
// (map-ui.js) both show it so, and must agree.
export function similarityText(cosine) {
  return (cosine * 100).toFixed(1) + "%";
}

// The values of a multi-valued cell ("Crime|Thriller"), trimmed, each once, in order (recommend._split).
export function splitValues(value) {
  var seen = [];
  value.split("|").forEach(function (part) {
    part = part.trim();
    if (part && seen.indexOf(part) < 0) seen.push(part);
  });
  return seen;
}

// A sprite cell as percentages for background-position: the sheet is `grid` cells a side,
// row-major by point (pictures.sprites), and 100% puts the last cell at the far edge.
export function spriteOffset(i, grid) {
  var x = grid > 1 ? (i % grid) / (grid - 1) * 100 : 0;
  var y = grid > 1 ? Math.floor(i / grid) / (grid - 1) * 100 : 0;
  return [x, y];
}

// ------------------------------------------------------------ state in the hash

// The page's state from a location hash: the point shown and the taste, as point numbers below
// `count` (anything else is dropped, a point is liked or disliked, never both); badItem holds an
// #item= that names no point, to say so.
export function stateFromHash(hash, count) {
  var params = new URLSearchParams(String(hash || "").replace(/^#/, ""));
  function list(name) {
    var out = [];
    (params.get(name) || "").split(",").forEach(function (part) {
      part = part.trim();
      if (/^\d+$/.test(part)) {
        var n = Number(part);
        if (n < count && out.indexOf(n) < 0) out.push(n);
      }
    });
    return out;
  }
  var item = list("item");
  var like = list("like");
  var dislike = list("dislike").filter(function (n) { return like.indexOf(n) < 0; });
  var wanted = params.get("item");
  return { item: item.length ? item[0] : null, like: like, dislike: dislike,
           badItem: wanted !== null && !item.length ? wanted : null };
}

export function hashOf(state) {
  var parts = [];
  if (state.item !== null && state.item !== undefined) parts.push("item=" + state.item);
  if (state.like.length) parts.push("like=" + state.like.join(","));
  if (state.dislike.length) parts.push("dislike=" + state.dislike.join(","));
  return "#" + parts.join("&");
}

// ------------------------------------------------------------ type-ahead

// The points whose search key matches the query, best first, at most `limit`: the whole key,
// then its start, then the start of a word in it, then every query word starting a word, then
// the query or each of its words anywhere; within a rank the most counted first, then by point number.
export function rankSuggestions(query, keys, counts, limit) {
  var q = fold(query);
  if (!q) return [];
  var tokens = q.split(" ");
  var found = [];
  for (var i = 0; i < keys.length; i++) {
    var key = keys[i], rank;
    if (key === q) rank = 0;
    else if (key.lastIndexOf(q, 0) === 0) rank = 1;
    else {
      var at = key.indexOf(q);
      if (at > 0 && key.charAt(at - 1) === " ") rank = 2;
      else if (tokens.every(function (t) { return key.lastIndexOf(t, 0) === 0 || key.indexOf(" " + t) >= 0; })) rank = 3;
      else if (at >= 0 || tokens.every(function (t) { return key.indexOf(t) >= 0; })) rank = 4;
      else continue;
    }
    found.push([rank, counts[i], i]);
  }
  found.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1] || a[2] - b[2]; });
  return found.slice(0, limit).map(function (f) { return f[2]; });
}

// ------------------------------------------------------------ vectors

// Every float16 bit pattern's value, made once: decoding is then one lookup per component.
var halfTable = null;
export function halfToFloat() {
  if (halfTable) return halfTable;
  halfTable = new Float32Array(65536);
  for (var bits = 0; bits < 65536; bits++) {
    var sign = bits & 0x8000 ? -1 : 1, exponent = (bits >> 10) & 0x1f, fraction = bits & 0x3ff;
    halfTable[bits] = exponent === 0 ? sign * Math.pow(2, -14) * (fraction / 1024)
      : exponent === 31 ? (fraction ? NaN : sign * Infinity)
      : sign * Math.pow(2, exponent - 15) * (1 + fraction / 1024);
  }
  return halfTable;
}

// The vectors file (an ArrayBuffer of count x dims int8 or little-endian float16, row-major)
// as a Float32Array of unit rows. The int8 rows carry a scale of their own, which renormalising
// removes, so none is shipped; zero rows stay zero and match nothing.
export function decodeVectors(buffer, dtype, count, dims) {
  var size = count * dims, out = new Float32Array(size), i;
  if (dtype === "int8") {
    if (buffer.byteLength !== size) throw new Error("the vectors file has the wrong size");
    var bytes = new Int8Array(buffer);
    for (i = 0; i < size; i++) out[i] = bytes[i];
  } else {
    if (buffer.byteLength !== size * 2) throw new Error("the vectors file has the wrong size");
    // Uint16Array reads the machine's byte order: little-endian on every browser's platform
    var halves = new Uint16Array(buffer), table = halfToFloat();
    for (i = 0; i < size; i++) out[i] = table[halves[i]];
  }
  for (var row = 0; row < size; row += dims) {
    var sum = 0, d;
    for (d = 0; d < dims; d++) sum += out[row + d] * out[row + d];
    if (sum > 0) {
      var scale = 1 / Math.sqrt(sum);
      for (d = 0; d < dims; d++) out[row + d] *= scale;
    }
  }
  return out;
}

// The cosine similarity of points a and b (rows of the unit vectors).
export function dot(unit, a, b, dims) {
  var s = 0, pa = a * dims, pb = b * dims;
  for (var d = 0; d < dims; d++) s += unit[pa + d] * unit[pb + d];
  return s;
}

// The taste's query: the sum of the liked unit rows less the sum of the disliked.
export function tasteQuery(unit, dims, like, dislike) {
  var query = new Float32Array(dims), d;
  like.forEach(function (i) { for (d = 0; d < dims; d++) query[d] += unit[i * dims + d]; });
  dislike.forEach(function (i) { for (d = 0; d < dims; d++) query[d] -= unit[i * dims + d]; });
  return query;
}

// Rank the points by (sum of liked unit vectors - sum of disliked) . their unit vector, the chosen
// points left out: the `top` best as [point, score], the score divided by the query's length
// (the cosine with the query), best first, equal scores by point number. Only the points where
// `loaded` (a Uint8Array, optional) is 1 take part: the parts of a large portal the page has.
// Nothing when the query has no direction (nothing chosen, or likes and dislikes that cancel out).
export function rankTaste(unit, dims, like, dislike, top, loaded) {
  var n = dims ? unit.length / dims : 0, query = tasteQuery(unit, dims, like, dislike), d, p;
  var norm = 0;
  for (d = 0; d < dims; d++) norm += query[d] * query[d];
  norm = Math.sqrt(norm);
  if (!(norm > 0)) return [];
  var skip = new Uint8Array(n), candidates = 0;
  if (loaded) for (p = 0; p < n; p++) { skip[p] = loaded[p] ? 0 : 1; candidates += loaded[p] ? 1 : 0; }
  else candidates = n;
  like.concat(dislike).forEach(function (i) { if (!skip[i]) { skip[i] = 1; candidates--; } });
  top = Math.max(0, Math.min(top, candidates));
  if (!top) return [];
  var bestIndex = new Int32Array(top).fill(-1), bestScore = new Float64Array(top).fill(-Infinity);
  for (p = 0; p < n; p++) {
    if (skip[p]) continue;
    var s = 0, offset = p * dims;
    for (d = 0; d < dims; d++) s += query[d] * unit[offset + d];
    if (s > bestScore[top - 1]) {
      var at = top - 1;
      while (at > 0 && bestScore[at - 1] < s) {
        bestScore[at] = bestScore[at - 1]; bestIndex[at] = bestIndex[at - 1]; at--;
      }
      bestScore[at] = s; bestIndex[at] = p;
    }
  }
  var out = [];
  for (p = 0; p < top; p++) if (bestIndex[p] >= 0) out.push([bestIndex[p], bestScore[p] / norm]);
  return out;
}

// ------------------------------------------------------------ a large portal's parts

// probe.bin (site_builder/site/taste_parts.py): the clusters' float32 centroids (clusters x dims) and
// radii, then each point's cluster as a byte; with each cluster's points, in point order.
export function readProbe(buffer, clusters, dims, count) {
  var size = clusters * dims * 4 + clusters * 4 + count;
  if (buffer.byteLength !== size) throw new Error("the probe file has the wrong size");
  // Float32Array reads the machine's byte order: little-endian on every browser's platform
  var centroids = new Float32Array(buffer, 0, clusters * dims);
  var radii = new Float32Array(buffer, clusters * dims * 4, clusters);
  var cluster = new Uint8Array(buffer, clusters * (dims + 1) * 4, count);
  var sizes = new Int32Array(clusters), p;
  for (p = 0; p < count; p++) {
    if (cluster[p] >= clusters) throw new Error("the probe file names a cluster it does not have");
    sizes[cluster[p]]++;
  }
  var members = [], filled = new Int32Array(clusters);
  for (var c = 0; c < clusters; c++) members.push(new Int32Array(sizes[c]));
  for (p = 0; p < count; p++) members[cluster[p]][filled[cluster[p]]++] = p;
  return { clusters: clusters, dims: dims, count: count, centroids: centroids, radii: radii, cluster: cluster,
           sizes: sizes, members: members };
}

// The clusters a first taste ranking loads (taste_parts.probe): the chosen points' clusters (they
// hold the query's vectors), then the others by the most a point of theirs can score (centroid .
// query + radius x |query|), best first, equal bounds by number, until `share` of the points are in.
export function probeClusters(probe, chosen, query, share) {
  var dims = probe.dims, need = Math.ceil(share * probe.count), taken = [], loaded = 0, c, d;
  chosen.forEach(function (p) { if (taken.indexOf(probe.cluster[p]) < 0) taken.push(probe.cluster[p]); });
  var norm = 0;
  for (d = 0; d < dims; d++) norm += query[d] * query[d];
  norm = Math.sqrt(norm);
  var bound = new Float64Array(probe.clusters), order = [];
  for (c = 0; c < probe.clusters; c++) {
    var s = 0;
    for (d = 0; d < dims; d++) s += probe.centroids[c * dims + d] * query[d];
    bound[c] = s + probe.radii[c] * norm;
    order.push(c);
  }
  order.sort(function (a, b) { return bound[b] - bound[a] || a - b; });
  for (var i = 0; i < order.length && loaded < need; i++) {
    c = order[i];
    if (taken.indexOf(c) >= 0 || !probe.sizes[c]) continue;
    taken.push(c);
    loaded += probe.sizes[c];
  }
  return taken;
}

// Copy a part's decoded rows (`rows`, one per member) into the unit rows of all points.
export function placeRows(unit, rows, members, dims) {
  for (var m = 0; m < members.length; m++) unit.set(rows.subarray(m * dims, (m + 1) * dims), members[m] * dims);
}

// The liked point most similar to `point`, as [liked point, cosine]; [null, -Infinity] with no likes.
export function closestLiked(unit, dims, point, like) {
  var closest = null, closestScore = -Infinity;
  like.forEach(function (liked) {
    var s = dot(unit, point, liked, dims);
    if (s > closestScore) { closestScore = s; closest = liked; }
  });
  return [closest, closestScore];
}

// How a taste ranking is made, in words that fit how many were liked and disliked (`chosen` of
// them in all, left out of the `count` ranked); `ranked`, when fewer than `count` took part: how
// many were in the parts of a large portal loaded for the taste.
export function tasteNote(likes, dislikes, chosen, count, ranked) {
  var what = likes ? "how close each is to the " + (likes === 1 ? "one" : formatNumber(likes)) + " you like" : "";
  if (dislikes) {
    what += (likes ? ", less how close it is to " : "how far each is from ") + "the " +
      (dislikes === 1 ? "one" : formatNumber(dislikes)) + " you dislike";
  }
  var who = ranked === undefined || ranked >= count ? "All " + formatNumber(count)
    : formatNumber(ranked) + " of the " + formatNumber(count) + ", those in the parts of the map nearest your taste,";
  return who + " ranked in your browser by " + what +
    " (the sum of the cosine similarities, 1 = same direction). The " +
    (chosen === 1 ? "one you chose is" : formatNumber(chosen) + " you chose are") + " left out.";
}
