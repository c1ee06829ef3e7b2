/* The supervisor map as it was before issue 6 (commit 3e02b59), kept verbatim as the
   baseline of bench/supervisor_map.py: every visible cell from /api/geo/cells/, two L.geoJSON
   layers (open cases, risk), one shown. */
(function () {
  "use strict";
  var element = document.getElementById("supervisor-map");
  var statusNode = document.getElementById("map-status");
  if (!element || !window.L) { return; }
  var labels = JSON.parse(document.getElementById("map-labels").textContent);

  // Sequential purples for counts (0 is pale), so they never read as a risk colour.
  var COUNT_BREAKS = [1, 2, 4, 7, 11];
  var COUNT_COLOURS = ["#f5f4fa", "#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f"];
  // The four-level national warning colours; unscored cells stay grey.
  var RISK_COLOURS = { red: "#d7191c", orange: "#fd8d3c", yellow: "#fee08b", blue: "#2c7bb6" };
  var NO_RISK = "#e5e5e5";

  function countColour(n) {
    var i = 0;
    while (i < COUNT_BREAKS.length && n >= COUNT_BREAKS[i]) { i += 1; }
    return COUNT_COLOURS[i];
  }

  function style(fill) {
    return { color: "#555", weight: 0.6, fillColor: fill, fillOpacity: 0.8 };
  }

  function escapeHTML(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function popup(feature) {
    var p = feature.properties;
    var html = "<strong>" + escapeHTML(p.name) + "</strong><br>" + escapeHTML(labels.code) + " " + escapeHTML(p.code) +
      "<br>" + escapeHTML(labels.open_cases) + ": " + p.open_cases +
      "<br>" + escapeHTML(labels.risk) + ": " + escapeHTML(p.risk_level ? labels.levels[p.risk_level] || p.risk_level : labels.no_risk);
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
    return html;
  }

  function legend(title, rows) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "legend");
      L.DomUtil.create("strong", "", div).textContent = title;
      rows.forEach(function (row) {
        var line = L.DomUtil.create("div", "", div);
        // Set through the CSSOM: the Content-Security-Policy refuses style="" in markup.
        L.DomUtil.create("i", "", line).style.background = row[0];
        line.appendChild(document.createTextNode(row[1]));
      });
      return div;
    };
    return control;
  }

  var map = window.wangge.makeMap(element, { preferCanvas: true });
  window.wangge.supervisorMap = map;
  var countLegend = legend(labels.open_cases, [
    [COUNT_COLOURS[0], "0"], [COUNT_COLOURS[1], "1"], [COUNT_COLOURS[2], "2–3"], [COUNT_COLOURS[3], "4–6"],
    [COUNT_COLOURS[4], "7–10"], [COUNT_COLOURS[5], "11+"]
  ]);
  var riskLegend = legend(labels.risk, Object.keys(RISK_COLOURS).map(function (level) {
    return [RISK_COLOURS[level], labels.levels[level] || level];
  }).concat([[NO_RISK, labels.no_risk]]));

  window.wangge.fetchJSON(element.dataset.cellsUrl).then(function (data) {
    var bind = function (feature, layer) { layer.bindPopup(function () { return popup(feature); }); };
    var counts = L.geoJSON(data, { style: function (f) { return style(countColour(f.properties.open_cases)); }, onEachFeature: bind });
    var risk = L.geoJSON(data, { style: function (f) { return style(RISK_COLOURS[f.properties.risk_level] || NO_RISK); }, onEachFeature: bind });
    counts.addTo(map);
    countLegend.addTo(map);
    var base = {};
    base[labels.open_cases] = counts;
    base[labels.risk] = risk;
    L.control.layers(base, null, { collapsed: false, position: "topright" }).addTo(map);
    // One legend at a time, matching the layer shown.
    map.on("baselayerchange", function (event) {
      if (event.layer === risk) { map.removeControl(countLegend); riskLegend.addTo(map); }
      else { map.removeControl(riskLegend); countLegend.addTo(map); }
    });
    if (data.features.length) {
      map.fitBounds(counts.getBounds(), { padding: [10, 10], animate: false });
      statusNode.textContent = "";
      statusNode.hidden = true;
    } else {
      statusNode.textContent = labels.none;
    }
    element.dataset.features = String(data.features.length);
  }).catch(function () {
    statusNode.textContent = labels.failed;
    element.dataset.features = "error";
  });
})();
