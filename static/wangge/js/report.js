/* The report form: choose the place on a map of the worker's own cells or by GPS, make a
   client key once per form so a resubmit files one case, and refuse oversize photos before
   they are uploaded over a slow connection. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var lon = form.querySelector("[name=lon]");
  var lat = form.querySelector("[name=lat]");
  var system = form.querySelector("[name=coord_system]");
  var key = form.querySelector("[name=client_key]");
  var photo = form.querySelector("[name=photo]");
  var readout = document.getElementById("location-readout");
  var locateButton = document.getElementById("use-my-location");
  var mapElement = document.getElementById("report-map");

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    // crypto.randomUUID needs a secure context; intranet servers are often plain http.
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }
  // Kept across a re-render after an error: that attempt filed nothing, so reuse is safe.
  if (!key.value) { key.value = uuid(); }

  var map = null;
  var marker = null;

  function show(lng, la) {
    readout.textContent = readout.dataset.format.replace("%(lon)s", lng.toFixed(6)).replace("%(lat)s", la.toFixed(6));
    if (!map) { return; }
    var latlng = L.latLng(la, lng);
    if (marker) { marker.setLatLng(latlng); } else {
      marker = L.circleMarker(latlng, { radius: 9, color: "#ffffff", weight: 2, fillColor: "#c0392b", fillOpacity: 1 }).addTo(map);
    }
  }

  function setPlace(lng, la) {
    lon.value = lng.toFixed(7);
    lat.value = la.toFixed(7);
    // Leaflet and the browser's GPS both speak WGS84.
    system.value = "wgs84";
    show(lng, la);
  }

  if (mapElement && window.L) {
    map = window.wangge.makeMap(mapElement, { preferCanvas: true });
    map.on("click", function (event) { setPlace(event.latlng.lng, event.latlng.lat); });
    window.wangge.fetchJSON(mapElement.dataset.cellsUrl).then(function (data) {
      var layer = L.geoJSON(data, {
        style: { color: "#3b5b92", weight: 2, fillColor: "#dfe7f5", fillOpacity: 0.45 },
        // Clicks on a cell bubble to the map, which sets the point.
        onEachFeature: function (feature, l) { l.bindTooltip(feature.properties.name); }
      }).addTo(map);
      if (data.features.length && !marker) { map.fitBounds(layer.getBounds(), { padding: [8, 8], animate: false }); }
      mapElement.dataset.ready = "true";
    }).catch(function () { mapElement.dataset.ready = "error"; });
    window.wangge.reportMap = map;
  }

  // After a re-render with an error the chosen place is still in the fields: show it.
  if (lon.value && lat.value && system.value === "wgs84") {
    var lng0 = parseFloat(lon.value), la0 = parseFloat(lat.value);
    if (!isNaN(lng0) && !isNaN(la0)) {
      show(lng0, la0);
      if (map) { map.setView([la0, lng0], 16); }
    }
  }
  [lon, lat].forEach(function (input) {
    input.addEventListener("change", function () {
      var x = parseFloat(lon.value), y = parseFloat(lat.value);
      if (!isNaN(x) && !isNaN(y) && system.value === "wgs84") { show(x, y); if (map) { map.setView([y, x]); } }
    });
  });

  if (locateButton) {
    if (!navigator.geolocation) { locateButton.hidden = true; }
    locateButton.addEventListener("click", function () {
      readout.textContent = form.dataset.msgLocating;
      navigator.geolocation.getCurrentPosition(function (position) {
        setPlace(position.coords.longitude, position.coords.latitude);
        if (map) { map.setView([position.coords.latitude, position.coords.longitude], 17); }
      }, function () {
        readout.textContent = form.dataset.msgNoGeo;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  if (photo) {
    photo.addEventListener("change", function () {
      var max = parseInt(form.dataset.maxBytes, 10);
      var file = photo.files && photo.files[0];
      photo.setCustomValidity(file && max && file.size > max ? form.dataset.msgTooLarge : "");
      photo.reportValidity();
    });
  }

  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    // One tap, one request; the client key covers the retries a flaky network makes.
    window.setTimeout(function () { button.disabled = true; button.textContent = form.dataset.msgSending; }, 0);
  });
})();
