/* Leaflet helpers shared by the report, case and supervisor maps. */
(function () {
  "use strict";
  // Centre of Wuxi: the view before any data arrives.
  var WUXI = [31.57, 120.30];
  var BASEMAP_GIVE_UP_MS = 8000;

  function makeMap(element, options) {
    var map = L.map(element, Object.assign({ zoomControl: true, attributionControl: true }, options || {}));
    // Every first view jumps (callers fit with animate: false): an animated zoom leaves a
    // blurred canvas on slow phones and moves the map under the worker's first tap.
    map.setView(WUXI, 11);
    // A basemap only when the deployment configures one (intranets have their own tile
    // server); otherwise the cells draw on the page background.
    var tiles = element.dataset.tiles;
    if (tiles) {
      var basemap = L.tileLayer(tiles, { attribution: element.dataset.attribution || "", maxZoom: 19 }).addTo(map);
      // A tile server that refuses or never answers must not leave a half-grey map: with no
      // tile loaded after a few errors or BASEMAP_GIVE_UP_MS, drop the basemap (which also
      // cancels the pending requests) and draw on the plain background.
      var loaded = false;
      var errors = 0;
      var giveUp = function () {
        if (loaded || !map.hasLayer(basemap)) { return; }
        map.removeLayer(basemap);
        element.classList.add("no-basemap");
        element.dataset.basemap = "unavailable";
      };
      basemap.on("tileload", function () { loaded = true; element.dataset.basemap = "loaded"; });
      basemap.on("tileerror", function () { errors += 1; if (errors >= 4) { giveUp(); } });
      window.setTimeout(giveUp, BASEMAP_GIVE_UP_MS);
    } else {
      element.classList.add("no-basemap");
      map.attributionControl.setPrefix(false);
    }
    return map;
  }

  function fetchJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }

  window.wangge = Object.assign(window.wangge || {}, { makeMap: makeMap, fetchJSON: fetchJSON });
})();
