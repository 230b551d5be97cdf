/* Projector Portals: a large portal's map loads a compact copy of the vectors.
 *
 * At large sizes the build writes map-vectors.i8.bytes (site_builder/site/projector.py,
 * map_vectors): the vectors' main principal components as int8, each component with a factor
 * of its own (this script's data-scales). The projector reads only float32, and reads a file as
 * binary only when its name ends in ".bytes". So this classic script, run before the projector's
 * own, answers the projector's request for that one file itself: it fetches the int8 copy,
 * multiplies it out and hands the projector the float32 it expects. Every other request is
 * left alone. tests/test_browser_map.py covers it.
 */
(function () {
  var script = document.currentScript;
  var target = new URL(script.getAttribute("data-path"), document.baseURI).href;
  var scales = JSON.parse(script.getAttribute("data-scales"));
  var open = XMLHttpRequest.prototype.open;
  var send = XMLHttpRequest.prototype.send;

  XMLHttpRequest.prototype.open = function (method, url) {
    this.portalsCompact = new URL(String(url), document.baseURI).href === target;
    return open.apply(this, arguments);
  };

  XMLHttpRequest.prototype.send = function () {
    if (!this.portalsCompact) return send.apply(this, arguments);
    var request = this;
    function answer(status, body) {
      Object.defineProperty(request, "readyState", { value: 4 });
      Object.defineProperty(request, "status", { value: status });
      Object.defineProperty(request, "response", { value: body });
      Object.defineProperty(request, "responseText", { value: status === 200 ? "" : String(body) });
      if (typeof request.onload === "function") request.onload(new ProgressEvent("load"));
    }
    fetch(target).then(function (response) {
      if (!response.ok) throw new Error(target + " answered " + response.status);
      return response.arrayBuffer();
    }).then(function (buffer) {
      var bytes = new Int8Array(buffer), dims = scales.length, floats = new Float32Array(bytes.length);
      for (var i = 0; i < bytes.length; i++) floats[i] = bytes[i] * scales[i % dims];
      answer(200, floats.buffer);
    }).catch(function (error) {
      answer(500, error.message);
    });
  };
})();
