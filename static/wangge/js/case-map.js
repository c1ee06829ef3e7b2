/* The small map on a case page: the case's grid cell and its point. */
(function () {
  "use strict";
  var element = document.getElementById("case-map");
  var dataNode = document.getElementById("case-map-data");
  if (!element || !dataNode || !window.L) { return; }
  var data = JSON.parse(dataNode.textContent);
  var map = window.wangge.makeMap(element, { preferCanvas: true, scrollWheelZoom: false });
  var cell = L.geoJSON(data.cell, { style: { color: "#3b5b92", weight: 2, fillColor: "#dfe7f5", fillOpacity: 0.5 } }).addTo(map);
  var point = L.latLng(data.point[1], data.point[0]);
  L.circleMarker(point, { radius: 8, color: "#ffffff", weight: 2, fillColor: "#c0392b", fillOpacity: 1 }).addTo(map);
  map.fitBounds(cell.getBounds(), { padding: [12, 12], maxZoom: 17, animate: false });
  window.wangge.caseMap = map;
})();
