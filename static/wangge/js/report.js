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
  // On every keystroke, not on change: a change fires as focus leaves for the send button,
  // and the readout growing a line then moves the button from under the finger.
  [lon, lat].forEach(function (input) {
    input.addEventListener("input", function () {
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

  /* --- category: search and recent choices --------------------------------------- */

  var select = form.querySelector("[name=category]");
  var searchBox = document.getElementById("category-search-box");
  var search = document.getElementById("category-search");
  var matches = document.getElementById("category-matches");
  var recent = document.getElementById("recent-categories");
  // The full list, kept aside: filtering rebuilds the select from it, which every
  // browser's picker respects (hidden <option>s are not respected everywhere).
  var allOptions = select ? Array.prototype.map.call(select.children, function (node) { return node.cloneNode(true); }) : [];

  function markRecent() {
    if (!recent) { return; }
    recent.querySelectorAll("[data-category]").forEach(function (chip) {
      chip.setAttribute("aria-pressed", String(chip.dataset.category === select.value));
    });
  }

  function filterCategories() {
    var query = search.value.trim().toLowerCase();
    var current = select.value;
    var count = 0;
    var last = null;
    select.textContent = "";
    allOptions.forEach(function (node) {
      if (node.tagName === "OPTION") { select.appendChild(node.cloneNode(true)); return; }
      var group = node.cloneNode(false);
      var groupHit = node.label.toLowerCase().indexOf(query) !== -1;
      Array.prototype.forEach.call(node.children, function (option) {
        if (!query || groupHit || option.textContent.toLowerCase().indexOf(query) !== -1) {
          group.appendChild(option.cloneNode(true));
          count += 1;
          last = option.value;
        }
      });
      if (group.children.length) { select.appendChild(group); }
    });
    // The choice stays if it still shows; otherwise back to "Choose a category".
    select.value = current;
    if (select.selectedIndex === -1) { select.value = ""; }
    // One match: choose it, saving the worker a second tap.
    if (query && count === 1 && last) { select.value = last; }
    matches.textContent = query ? matches.dataset.format.replace("%(count)s", count) : "";
    markRecent();
  }

  if (select && search) {
    matches.dataset.format = form.dataset.msgMatches;
    searchBox.hidden = false;
    search.addEventListener("input", filterCategories);
    // Enter in the search box must not send the half-filled report.
    search.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); } });
    select.addEventListener("change", markRecent);
  }
  if (recent && select) {
    recent.hidden = false;
    recent.addEventListener("click", function (event) {
      var chip = event.target.closest("[data-category]");
      if (!chip) { return; }
      if (search && search.value) { search.value = ""; filterCategories(); }
      select.value = chip.dataset.category;
      markRecent();
    });
    markRecent();
  }

  /* --- photos: up to N, with previews and remove buttons ---------------------------- */

  var maxPhotos = parseInt(form.dataset.maxPhotos, 10) || 9;
  var maxBytes = parseInt(form.dataset.maxBytes, 10);
  var previews = document.getElementById("photo-previews");
  var photoStatus = document.getElementById("photo-status");
  var chosen = [];
  var canKeep = typeof DataTransfer === "function";

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) { return String(values[name]); });
  }

  function syncInput() {
    if (!canKeep) { return; }
    var transfer = new DataTransfer();
    chosen.forEach(function (item) { transfer.items.add(item.file); });
    photo.files = transfer.files;
  }

  function drawPreviews(message) {
    previews.textContent = "";
    chosen.forEach(function (item, index) {
      var li = document.createElement("li");
      var img = document.createElement("img");
      img.src = item.url;
      img.alt = fmt(form.dataset.msgPhotoAlt, { n: index + 1 });
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "remove-photo";
      remove.setAttribute("aria-label", fmt(form.dataset.msgRemove, { n: index + 1 }));
      remove.textContent = "×";
      remove.addEventListener("click", function () {
        URL.revokeObjectURL(item.url);
        chosen.splice(chosen.indexOf(item), 1);
        syncInput();
        drawPreviews("");
        photo.focus();
      });
      li.appendChild(img);
      li.appendChild(remove);
      previews.appendChild(li);
    });
    var count = chosen.length ? fmt(form.dataset.msgPhotoCount, { count: chosen.length, max: maxPhotos }) : "";
    photoStatus.textContent = message ? message + (count ? " " + count : "") : count;
    photoStatus.classList.toggle("errorlist", !!message);
  }

  function clearPhotos() {
    chosen.forEach(function (item) { URL.revokeObjectURL(item.url); });
    chosen = [];
    syncInput();
    drawPreviews("");
  }

  if (photo && previews) {
    photo.addEventListener("change", function () {
      var message = "";
      var picked = Array.prototype.slice.call(photo.files || []);
      if (!canKeep) {
        // Without DataTransfer the input holds only the last choice: check that one.
        chosen = [];
      }
      picked.forEach(function (file) {
        if (maxBytes && file.size > maxBytes) { message = form.dataset.msgTooLarge; return; }
        if (chosen.length >= maxPhotos) { message = form.dataset.msgTooMany; return; }
        chosen.push({ file: file, url: URL.createObjectURL(file) });
      });
      syncInput();
      drawPreviews(message);
    });
  }

  /* --- sending, or keeping offline --------------------------------------------------- */

  var submitButton = form.querySelector("button[type=submit]");
  var offlineNotice = document.getElementById("offline-notice");
  var drafts = window.wangge && window.wangge.drafts;

  var offlineText = offlineNotice ? offlineNotice.textContent : "";
  function showOffline() {
    if (!offlineNotice) { return; }
    offlineNotice.hidden = navigator.onLine;
    offlineNotice.textContent = offlineText;
  }
  window.addEventListener("online", showOffline);
  window.addEventListener("offline", showOffline);
  showOffline();

  function busy(on) {
    submitButton.disabled = on;
    submitButton.textContent = on ? form.dataset.msgSending : form.dataset.msgSend;
  }

  function keepAsDraft() {
    var data = new FormData(form);
    var fields = [];
    data.forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && typeof value === "string") { fields.push([name, value]); }
    });
    var label = select && select.selectedOptions[0] ? select.selectedOptions[0].textContent : "";
    return drafts.save(fields, chosen.map(function (item) { return item.file; }), {
      description: form.querySelector("[name=description]").value, label: label
    }).then(function () {
      // A fresh form for the next report: its own client key, no photos, no place.
      form.reset();
      key.value = uuid();
      clearPhotos();
      if (marker) { marker.remove(); marker = null; }
      readout.textContent = form.dataset.msgNoPlace;
      if (search) { search.value = ""; filterCategories(); }
      busy(false);
      if (offlineNotice) { offlineNotice.hidden = false; offlineNotice.textContent = form.dataset.msgSaved; }
      window.scrollTo(0, 0);
    });
  }

  // The server's refusal, shown next to the fields without reloading: the photos chosen
  // stay chosen (a reload would ask for all of them again).
  function showErrors(answer) {
    form.querySelectorAll(".js-error").forEach(function (node) { node.remove(); });
    var first = null;
    Object.keys(answer.errors || {}).forEach(function (name) {
      var list = document.createElement("ul");
      list.className = "errorlist js-error";
      list.setAttribute("role", "alert");
      answer.errors[name].forEach(function (message) {
        var li = document.createElement("li");
        li.textContent = message;
        list.appendChild(li);
      });
      var input = name === "__all__" ? null : form.querySelector('[name="' + name + '"]');
      var place = input && input.closest("fieldset.location");
      if (place) {
        place.querySelector("legend").after(list);
      } else if (input && input.type !== "hidden") {
        input.closest(".field").querySelector("label").after(list);
      } else {
        form.prepend(list);
      }
      if (!first) { first = list; }
    });
    busy(false);
    if (first) { first.scrollIntoView({ block: "center" }); }
  }

  form.addEventListener("submit", function (event) {
    if (!form.checkValidity()) { return; }
    if (!drafts || !drafts.available || !window.fetch || !canKeep) {
      // The plain form post; the client key covers the retries a flaky network makes.
      window.setTimeout(function () { busy(true); }, 0);
      return;
    }
    event.preventDefault();
    busy(true);
    if (!navigator.onLine) { keepAsDraft(); return; }
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== -1 && response.status < 500) {
        return response.json().then(function (answer) {
          if (response.ok) { window.location.assign(answer.url); } else { showErrors(answer); }
        });
      }
      // Anything else (a login page after a timeout, a server error): post the form itself
      // and let the page say it. Same client key: nothing was filed, so nothing twice.
      form.submit();
    }, function () {
      // No answer at all: the network is gone. Keep it on the phone.
      keepAsDraft();
    });
  });
})();
