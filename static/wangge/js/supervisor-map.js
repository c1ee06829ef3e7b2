/* The supervisor's map: the places one level below the selection (or a community's grid
   cells), coloured by the chosen measure. Clicking an area drills down (a page load: the URL
   carries the selection, the list beside the map comes from the server); clicking a cell
   opens its details. Switching the measure only restyles the layer already drawn. */
(function () {
  "use strict";
  var element = document.getElementById("supervisor-map");
  var statusNode = document.getElementById("map-status");
  if (!element || !window.L) { return; }
  var labels = JSON.parse(document.getElementById("map-labels").textContent);

  // Sequential ramps for counts (0 is pale grey), distinct from the four risk colours.
  var RAMPS = {
    open: ["#f4f4f6", "#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f"],
    overdue: ["#f4f4f6", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15"]
  };
  var FIELDS = { open: "open_cases", overdue: "overdue_cases" };
  // The four-level national warning colours; unscored places stay grey.
  var RISK_COLOURS = { red: "#d7191c", orange: "#fd8d3c", yellow: "#fee08b", blue: "#2c7bb6" };
  var NO_RISK = "#e5e5e5";

  var measure = element.dataset.measure || "open";
  var selected = element.dataset.selected;
  var breaks = {};

  // Lower bounds of the five non-zero classes: 1 … max, spaced geometrically so a few busy
  // places do not wash out the rest; small maxima keep the simple 1, 2, 4, 7, 11.
  function breaksFor(max) {
    if (max <= 10) { return [1, 2, 4, 7, 11]; }
    var out = [1];
    for (var k = 1; k < 5; k += 1) {
      out.push(Math.max(out[k - 1] + 1, Math.round(Math.pow(max, k / 5))));
    }
    return out;
  }

  function classOf(n, bounds) {
    var i = 0;
    while (i < bounds.length && n >= bounds[i]) { i += 1; }
    return i;
  }

  function fillOf(p) {
    if (measure === "risk") { return RISK_COLOURS[p.risk_level] || NO_RISK; }
    return RAMPS[measure][classOf(p[FIELDS[measure]], breaks[measure])];
  }

  function style(feature) {
    var p = feature.properties;
    var isSelected = p.code === selected;
    // Thousands of cells at district or city zoom: faint hairlines, or the outlines of the
    // dense centre would paint it grey.
    var many = element.dataset.showCells === "1";
    return {
      color: isSelected ? "#111" : (many ? "rgba(40, 40, 40, 0.35)" : "#4a4a4a"),
      weight: isSelected ? 3 : (many ? 0.4 : (p.level === "cell" ? 0.6 : 1.2)),
      fillColor: fillOf(p),
      fillOpacity: 0.8
    };
  }

  function escapeHTML(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function riskText(p) {
    return p.risk_level ? labels.levels[p.risk_level] || p.risk_level : labels.no_risk;
  }

  function summary(p) {
    var html = "<strong>" + escapeHTML(p.name) + "</strong> <span class=\"code\">" + escapeHTML(p.code) + "</span>" +
      "<br>" + escapeHTML(labels.open_cases) + ": " + p.open_cases +
      "<br>" + escapeHTML(labels.overdue_cases) + ": " + p.overdue_cases +
      "<br>" + escapeHTML(p.level === "cell" ? labels.risk : labels.highest_risk) + ": " + escapeHTML(riskText(p));
    if (p.level !== "cell") {
      var counts = Object.keys(RISK_COLOURS).filter(function (level) { return p.risk_counts && p.risk_counts[level]; })
        .map(function (level) { return escapeHTML(labels.levels[level] || level) + " × " + p.risk_counts[level]; });
      if (counts.length) { html += "<br>" + counts.join("<br>"); }
      html += "<br>" + escapeHTML(labels.cells) + ": " + p.cells;
    }
    return html;
  }

  function cellPopup(p) {
    var html = summary(p);
    if (p.risk_score !== null && p.risk_score !== undefined) {
      html += "<br>" + escapeHTML(labels.score) + ": " + Number(p.risk_score).toFixed(2);
    }
    if (p.risk_factors && p.risk_factors.length) {
      html += "<br>" + escapeHTML(labels.factors) + ":<ul class=\"factors\">";
      p.risk_factors.forEach(function (f) {
        var name = f && f.factor !== undefined ? (labels.factor_names[f.factor] || f.factor) : "";
        var value = f && f.value !== undefined ? f.value : f;
        html += "<li>" + escapeHTML(name) + (name ? ": " : "") + escapeHTML(value) + "</li>";
      });
      html += "</ul>";
    }
    html += "<p class=\"popup-link\"><a href=\"" + escapeHTML(hrefFor(p.code)) + "\">" + escapeHTML(labels.cases_here) + "</a></p>";
    return html;
  }

  // The page's own query with another selection: measure and the cells switch carry over.
  function hrefFor(code) {
    var params = new URLSearchParams(window.location.search);
    params.set("area", code);
    params.delete("page");
    if (measure === "open") { params.delete("measure"); } else { params.set("measure", measure); }
    return "?" + params.toString();
  }

  var legendControl = null;
  function showLegend(features) {
    if (legendControl) { map.removeControl(legendControl); }
    var rows;
    var title = labels.measures[measure];
    if (measure === "risk") {
      title = element.dataset.level === "cell" || element.dataset.showCells === "1" ? labels.risk : labels.highest_risk;
      rows = Object.keys(RISK_COLOURS).map(function (level) { return [RISK_COLOURS[level], labels.levels[level] || level]; })
        .concat([[NO_RISK, labels.no_risk]]);
    } else {
      var b = breaks[measure];
      rows = [[RAMPS[measure][0], "0"]];
      for (var i = 0; i < b.length; i += 1) {
        var upper = i + 1 < b.length ? b[i + 1] - 1 : null;
        var text = upper === null ? b[i] + "+" : (upper === b[i] ? String(b[i]) : b[i] + "–" + upper);
        rows.push([RAMPS[measure][i + 1], text]);
      }
    }
    legendControl = L.control({ position: "bottomright" });
    legendControl.onAdd = function () {
      var div = L.DomUtil.create("div", "legend");
      div.setAttribute("role", "group");
      div.setAttribute("aria-label", title);
      L.DomUtil.create("strong", "", div).textContent = title;
      rows.forEach(function (row) {
        var line = L.DomUtil.create("div", "", div);
        // Set through the CSSOM: the Content-Security-Policy refuses style="" in markup.
        L.DomUtil.create("i", "", line).style.background = row[0];
        line.appendChild(document.createTextNode(row[1]));
      });
      return div;
    };
    legendControl.addTo(map);
    element.dataset.legend = measure;
  }

  // Quarter zoom steps: a city fits its frame instead of shrinking to the zoom below.
  var map = window.wangge.makeMap(element, { preferCanvas: true, zoomSnap: 0.25 });
  window.wangge.supervisorMap = map;
  var layer = null;
  var features = [];

  // Links on the page carry the measure, so drilling down or paging keeps the colouring.
  function relink() {
    document.querySelectorAll(".breadcrumb a, table.places a, .pager a").forEach(function (a) {
      var url = new URL(a.getAttribute("href"), window.location.href);
      if (measure === "open") { url.searchParams.delete("measure"); } else { url.searchParams.set("measure", measure); }
      a.setAttribute("href", url.search || "?");
    });
    var here = new URL(window.location.href);
    if (measure === "open") { here.searchParams.delete("measure"); } else { here.searchParams.set("measure", measure); }
    window.history.replaceState(null, "", here.pathname + here.search + here.hash);
  }

  function setMeasure(value) {
    if (!RAMPS[value] && value !== "risk") { return; }
    measure = value;
    element.dataset.measure = value;
    if (layer) { layer.setStyle(style); }
    showLegend(features);
    relink();
  }

  document.querySelectorAll(".measure-choice input[name=measure]").forEach(function (radio) {
    radio.addEventListener("change", function () { if (radio.checked) { setMeasure(radio.value); } });
  });
  var cellsSwitch = document.querySelector(".cells-switch input");
  if (cellsSwitch) {
    cellsSwitch.addEventListener("change", function () { cellsSwitch.form.submit(); });
  }

  // Two animation frames after the layer is added, the canvas renderer has painted it.
  function markDrawn(count) {
    window.requestAnimationFrame(function () {
      window.requestAnimationFrame(function () {
        if (window.performance && window.performance.mark) { window.performance.mark("map-drawn"); }
        element.dataset.drawn = String(count);
      });
    });
  }

  window.wangge.fetchJSON(element.dataset.layerUrl).then(function (data) {
    if (window.performance && window.performance.mark) { window.performance.mark("map-data"); }
    features = data.features;
    ["open", "overdue"].forEach(function (key) {
      var max = 0;
      for (var i = 0; i < features.length; i += 1) { max = Math.max(max, features[i].properties[FIELDS[key]] || 0); }
      breaks[key] = breaksFor(max);
    });
    var drillable = features.length && features[0].properties.level !== "cell";
    // One canvas for all places (static/wangge/js/cells-canvas.js): 10,000 L.Polygon
    // objects cost over a second before the first paint.
    layer = L.cellsCanvas(data, { style: style });
    var tooltip = L.tooltip({ direction: "top", offset: [0, -8] });
    var shown = null;
    layer.on("mousemove", function (event) {
      if (shown !== event.feature) {
        shown = event.feature;
        tooltip.setContent(summary(event.feature.properties));
      }
      tooltip.setLatLng(event.latlng);
      if (!map.hasLayer(tooltip) && !map.hasLayer(popup)) { tooltip.addTo(map); }
    });
    layer.on("mouseout", function () { shown = null; map.removeLayer(tooltip); });
    var popup = L.popup();
    layer.on("click", function (event) {
      if (drillable) {
        window.location.href = hrefFor(event.feature.properties.code);
        return;
      }
      // The popup says all the tooltip did: one box at a time.
      map.removeLayer(tooltip);
      popup.setLatLng(event.latlng).setContent(cellPopup(event.feature.properties)).openOn(map);
    });
    layer.addTo(map);
    showLegend(features);
    if (features.length) {
      map.fitBounds(layer.getBounds(), { padding: [10, 10], animate: false });
      statusNode.textContent = "";
      statusNode.hidden = true;
    } else {
      statusNode.textContent = labels.none;
    }
    element.dataset.features = String(features.length);
    markDrawn(features.length);
  }).catch(function () {
    statusNode.textContent = labels.failed;
    element.dataset.features = "error";
  });
})();
