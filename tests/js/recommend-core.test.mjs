// The recommendation page's pure functions (site/static/recommend-core.js): fold, decodeVectors,
// rankTaste, readProbe and probeClusters against the cases their Python twins are held to (tests/cases/, written by
// make_cases.py from site_builder/site/recommend.py), and the page's other helpers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import {
  closestLiked, decodeVectors, dot, fold, formatNumber, halfToFloat, hashOf, placeRows, plural, probeClusters, rankSuggestions,
  rankTaste, readProbe, similarityText, splitValues, spriteOffset, stateFromHash, tasteNote, tasteQuery,
} from "../../site_builder/site/static/recommend-core.js";

function cases(name) {
  return JSON.parse(readFileSync(new URL("../cases/" + name, import.meta.url), "utf8"));
}

// The case files write infinities and NaN as strings: JSON has neither.
function number(value) { return typeof value === "string" ? Number(value) : value; }

// A file's bytes as the page gets them from fetch: an ArrayBuffer of their own.
function arrayBuffer(base64) {
  var bytes = Buffer.from(base64, "base64");
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

function assertClose(actual, expected, tolerance, what) {
  assert.equal(actual.length, expected.length, what + ": length");
  for (var i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance,
      what + "[" + i + "]: " + actual[i] + " is not within " + tolerance + " of " + expected[i]);
  }
}

describe("fold, as recommend.fold", function () {
  for (const c of cases("fold.json").cases) {
    it(c.why + ": " + JSON.stringify(c.text), function () {
      assert.equal(fold(c.text), c.fold);
    });
  }

  it("folds what is not a string as its text", function () {
    assert.equal(fold(1995), "1995");
  });
});

describe("decodeVectors, as recommend.dequantise", function () {
  var file = cases("vectors.json");
  for (const c of file.cases) {
    for (const encoded of c.files) {
      it(c.name + " (" + encoded.dtype + (encoded.scale ? ", " + encoded.scale + " scale" : "") + ")", function () {
        var unit = decodeVectors(arrayBuffer(encoded.base64), encoded.dtype, c.count, c.dims);
        assert.ok(unit instanceof Float32Array);
        assertClose(unit, encoded.unit.flat(), file.tolerance, c.name);
      });
    }
  }

  it("knows every float16 value of the cases, bit for bit", function () {
    var table = halfToFloat();
    for (const [bits, value] of file.float16) assert.equal(table[bits], number(value), "bits " + bits);
  });

  it("refuses a file of the wrong size", function () {
    assert.throws(function () { decodeVectors(new ArrayBuffer(5), "int8", 2, 3); }, /wrong size/);
    assert.throws(function () { decodeVectors(new ArrayBuffer(6), "float16", 2, 3); }, /wrong size/);
  });
});

describe("rankTaste, as recommend.taste_ranking", function () {
  var file = cases("taste.json");
  for (const c of file.cases) {
    it(c.name, function () {
      var unit = Float32Array.from(c.unit.flat());
      var loaded = c.loaded ? Uint8Array.from(c.loaded) : undefined;
      var ranked = rankTaste(unit, c.dims, c.like, c.dislike, c.top, loaded);
      assert.deepEqual(ranked.map(function (pair) { return pair[0]; }), c.picks);
      assertClose(ranked.map(function (pair) { return pair[1]; }), c.scores, file.tolerance, c.name);
    });
  }

  it("ranks nothing when the query has no direction", function () {
    var unit = Float32Array.from([1, 0, 0, 1, 1, 0, 0.6, 0.8]);
    assert.deepEqual(rankTaste(unit, 2, [], [], 3), []);
    assert.deepEqual(rankTaste(unit, 2, [0], [2], 3), []); // points 0 and 2 are the same
  });

  it("finds the liked point closest to a pick", function () {
    var unit = Float32Array.from([1, 0, 0, 1, 0.6, 0.8]);
    assert.ok(Math.abs(dot(unit, 0, 2, 2) - 0.6) < 1e-7);
    var [closest, score] = closestLiked(unit, 2, 2, [0, 1]);
    assert.equal(closest, 1);
    assert.ok(Math.abs(score - 0.8) < 1e-7);
    assert.deepEqual(closestLiked(unit, 2, 2, []), [null, -Infinity]);
  });
});

describe("readProbe and probeClusters, as taste_parts.probe", function () {
  var file = cases("probe.json");
  function buffer(base64) { var bytes = Buffer.from(base64, "base64"); return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length); }
  var unit = decodeVectors(buffer(file.vectors), "int8", file.count, file.dims);
  var probe = readProbe(buffer(file.probe), file.clusters, file.dims, file.count);
  for (const c of file.cases) {
    it(c.name, function () {
      var query = tasteQuery(unit, file.dims, c.like, c.dislike);
      assert.deepEqual(probeClusters(probe, c.like.concat(c.dislike), query, c.share), c.clusters);
    });
  }

  it("lists each cluster's points in point order", function () {
    var seen = 0;
    probe.members.forEach(function (members, c) {
      assert.equal(members.length, probe.sizes[c]);
      for (var m = 0; m < members.length; m++) {
        assert.equal(probe.cluster[members[m]], c);
        if (m) assert.ok(members[m] > members[m - 1]);
      }
      seen += members.length;
    });
    assert.equal(seen, file.count);
  });

  it("places a part's rows where its points are", function () {
    var all = new Float32Array(file.count * file.dims), members = probe.members[2];
    var rows = new Float32Array(members.length * file.dims);
    for (var m = 0; m < members.length; m++) rows.set(unit.subarray(members[m] * file.dims, (members[m] + 1) * file.dims), m * file.dims);
    placeRows(all, rows, members, file.dims);
    for (var p = 0; p < file.count; p++) {
      var inPart = probe.cluster[p] === 2;
      assert.equal(all[p * file.dims], inPart ? unit[p * file.dims] : 0);
    }
  });

  it("refuses a probe file of the wrong size", function () {
    assert.throws(function () { readProbe(new ArrayBuffer(10), 2, 3, 4); }, /wrong size/);
  });
});

describe("the state in the hash", function () {
  it("reads the point and the taste, dropping what names no point", function () {
    assert.deepEqual(stateFromHash("#item=12", 20), { item: 12, like: [], dislike: [], badItem: null });
    assert.deepEqual(stateFromHash("#like=1,5,9,5,x,-2,7.5,&dislike=3,5, 4 ", 20),
      { item: null, like: [1, 5, 9], dislike: [3, 4], badItem: null });
    assert.deepEqual(stateFromHash("#item=12&like=1,5", 20), { item: 12, like: [1, 5], dislike: [], badItem: null });
    assert.deepEqual(stateFromHash("", 20), { item: null, like: [], dislike: [], badItem: null });
    assert.deepEqual(stateFromHash("#", 0), { item: null, like: [], dislike: [], badItem: null });
  });

  it("keeps an item that names no point, to say so", function () {
    assert.equal(stateFromHash("#item=20", 20).badItem, "20");
    assert.equal(stateFromHash("#item=toy", 20).badItem, "toy");
    assert.equal(stateFromHash("#item=", 20).badItem, "");
    assert.equal(stateFromHash("#item=19", 20).badItem, null);
  });

  it("writes it back", function () {
    assert.equal(hashOf({ item: 12, like: [1, 5], dislike: [3] }), "#item=12&like=1,5&dislike=3");
    assert.equal(hashOf({ item: null, like: [], dislike: [] }), "#");
    assert.equal(hashOf({ item: 0, like: [], dislike: [2] }), "#item=0&dislike=2");
    for (const hash of ["#item=12&like=1,5&dislike=3", "#like=4", "#"]) assert.equal(hashOf(stateFromHash(hash, 20)), hash);
  });
});

describe("the type-ahead", function () {
  var keys = ["heat 1995", "the heat", "heathers 1989", "sheath", "pre heated", "usual suspects the 1995", "heat"];
  var counts = [10, 50, 30, 99, 5, 40, 1];

  it("ranks the whole key, its start, a word's start, then anywhere; then by count and number", function () {
    assert.deepEqual(rankSuggestions("Heat", keys, counts, 8), [6, 2, 0, 1, 4, 3]);
    assert.deepEqual(rankSuggestions("  HEAT!", keys, counts, 2), [6, 2]);
  });

  it("matches every word of the query, in any order", function () {
    assert.deepEqual(rankSuggestions("suspects usual", keys, counts, 8), [5]);
    assert.deepEqual(rankSuggestions("Usual Suspects, The", keys, counts, 8), [5]);
  });

  it("suggests nothing for a query of no letters", function () {
    assert.deepEqual(rankSuggestions(" ?! ", keys, counts, 8), []);
    assert.deepEqual(rankSuggestions("zebra", keys, counts, 8), []);
  });
});

describe("what the page writes", function () {
  it("similarities as percentages, as the map does", function () {
    assert.equal(similarityText(877 / 1000), "87.7%"); // recommend.json scores are in thousandths
    assert.equal(similarityText(0.8766), "87.7%");
    assert.equal(similarityText(1), "100.0%");
    assert.equal(similarityText(0), "0.0%");
    assert.equal(similarityText(-0.05), "-5.0%");
  });

  it("numbers and plurals", function () {
    assert.equal(formatNumber(1234567), "1,234,567");
    assert.equal(plural(1, "user", "users"), "1 user");
    assert.equal(plural(0, "user", "users"), "0 users");
    assert.equal(plural(1682, "pick", "picks"), "1,682 picks");
  });

  it("multi-valued cells, each value once", function () {
    assert.deepEqual(splitValues(" Crime | Thriller|Crime||"), ["Crime", "Thriller"]);
    assert.deepEqual(splitValues(""), []);
  });

  it("sprite cells as background positions", function () {
    assert.deepEqual(spriteOffset(0, 1), [0, 0]);
    assert.deepEqual(spriteOffset(4, 3), [50, 50]);
    assert.deepEqual(spriteOffset(2, 3), [100, 0]);
    assert.deepEqual(spriteOffset(8, 3), [100, 100]);
  });

  it("how a taste was ranked", function () {
    assert.equal(tasteNote(1, 0, 1, 1682), "All 1,682 ranked in your browser by how close each is to the one you like " +
      "(the sum of the cosine similarities, 1 = same direction). The one you chose is left out.");
    assert.equal(tasteNote(3, 1, 4, 1682), "All 1,682 ranked in your browser by how close each is to the 3 you like, " +
      "less how close it is to the one you dislike (the sum of the cosine similarities, 1 = same direction). " +
      "The 4 you chose are left out.");
    assert.equal(tasteNote(0, 2, 2, 10), "All 10 ranked in your browser by how far each is from the 2 you dislike " +
      "(the sum of the cosine similarities, 1 = same direction). The 2 you chose are left out.");
    assert.equal(tasteNote(1, 0, 1, 200947, 16020), "16,020 of the 200,947, those in the parts of the map nearest your " +
      "taste, ranked in your browser by how close each is to the one you like (the sum of the cosine similarities, " +
      "1 = same direction). The one you chose is left out.");
    assert.equal(tasteNote(1, 0, 1, 10, 10).slice(0, 10), "All 10 ran");
  });
});
