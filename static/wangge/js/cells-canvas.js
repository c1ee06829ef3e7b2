/* A Leaflet layer that paints many polygons on one canvas in a few batched paths.

   L.geoJSON makes one L.Polygon per feature: at 10,000 grid cells building, projecting and
   painting those objects took over a second of the supervisor map's time
   (docs/benchmarks.md, "Supervisor map in the browser"). Here every ring is projected once
   to zoom-0 pixels in a typed array; a redraw scales them, skips what is off screen and
   fills all places of one colour with a single path. Hit testing (hover, click) is a
   bounding-box scan and an even-odd point-in-polygon test on the zoom-0 coordinates.

   L.cellsCanvas(geojson, { style: function (feature) { return {fillColor, color, weight}; } })
   fires "click", "mousemove" and "mouseout" with {feature, latlng} when over a place. */
(function () {
  "use strict";
  if (!window.L) { return; }

  var CellsCanvas = L.Layer.extend({
    options: { fillOpacity: 0.8, pane: "overlayPane" },

    initialize: function (geojson, options) {
      L.setOptions(this, options);
      this._features = geojson.features || [];
      this._highlight = -1;
    },

    onAdd: function (map) {
      this._canvas = L.DomUtil.create("canvas", "leaflet-zoom-hide cells-canvas");
      this.getPane().appendChild(this._canvas);
      this._ctx = this._canvas.getContext("2d");
      if (!this._rings) { this._project(map); }
      this._restyle();
      map.on("moveend zoomend resize viewreset", this._scheduleRedraw, this);
      map.on("mousemove", this._onMouseMove, this);
      map.on("click", this._onClick, this);
      map.on("mouseout", this._onMouseOut, this);
      this._scheduleRedraw();
    },

    onRemove: function (map) {
      map.off("moveend zoomend resize viewreset", this._scheduleRedraw, this);
      L.Util.cancelAnimFrame(this._frame);
      this._frame = null;
      map.off("mousemove", this._onMouseMove, this);
      map.off("click", this._onClick, this);
      map.off("mouseout", this._onMouseOut, this);
      L.DomUtil.remove(this._canvas);
      this._canvas = null;
    },

    // Zoom-0 pixel coordinates of every ring, flat, with each feature's rings and bbox.
    _project: function (map) {
      var n = this._features.length;
      var total = 0;
      var f, g, polygons, i, j, k;
      for (i = 0; i < n; i += 1) {
        polygons = this._polygonsOf(this._features[i]);
        for (j = 0; j < polygons.length; j += 1) {
          for (k = 0; k < polygons[j].length; k += 1) { total += polygons[j][k].length; }
        }
      }
      var xy = new Float64Array(total * 2);
      var rings = [];  // per feature: [start, end, start, end, …] into xy (in points)
      var bbox = new Float64Array(n * 4);
      var south = 90, west = 180, north = -90, east = -180;
      var at = 0;
      for (i = 0; i < n; i += 1) {
        f = this._features[i];
        polygons = this._polygonsOf(f);
        var own = [];
        var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
        for (j = 0; j < polygons.length; j += 1) {
          for (k = 0; k < polygons[j].length; k += 1) {
            var ring = polygons[j][k];
            own.push(at, at + ring.length);
            for (var v = 0; v < ring.length; v += 1) {
              var lng = ring[v][0], lat = ring[v][1];
              g = map.project([lat, lng], 0);
              xy[at * 2] = g.x; xy[at * 2 + 1] = g.y;
              at += 1;
              if (g.x < minX) { minX = g.x; } if (g.x > maxX) { maxX = g.x; }
              if (g.y < minY) { minY = g.y; } if (g.y > maxY) { maxY = g.y; }
              if (lat < south) { south = lat; } if (lat > north) { north = lat; }
              if (lng < west) { west = lng; } if (lng > east) { east = lng; }
            }
          }
        }
        rings.push(own);
        bbox[i * 4] = minX; bbox[i * 4 + 1] = minY; bbox[i * 4 + 2] = maxX; bbox[i * 4 + 3] = maxY;
      }
      this._xy = xy;
      this._rings = rings;
      this._bbox = bbox;
      this._bounds = n ? L.latLngBounds([south, west], [north, east]) : null;
    },

    _polygonsOf: function (feature) {
      var geometry = feature.geometry;
      if (!geometry) { return []; }
      if (geometry.type === "Polygon") { return [geometry.coordinates]; }
      if (geometry.type === "MultiPolygon") { return geometry.coordinates; }
      return [];
    },

    getBounds: function () { return this._bounds; },

    // Styles are read once per feature and grouped, so a redraw fills each colour once.
    setStyle: function (style) {
      if (style) { this.options.style = style; }
      this._restyle();
      this._scheduleRedraw();
      return this;
    },

    _restyle: function () {
      var groups = {};
      this._styles = [];
      for (var i = 0; i < this._features.length; i += 1) {
        var s = this.options.style(this._features[i]);
        this._styles.push(s);
        var key = s.fillColor + "|" + s.color + "|" + s.weight;
        (groups[key] = groups[key] || { style: s, members: [] }).members.push(i);
      }
      this._groups = Object.keys(groups).map(function (key) { return groups[key]; });
      // Heavier outlines last, so a selected place's outline is not painted over.
      this._groups.sort(function (a, b) { return a.style.weight - b.style.weight; });
    },

    // A fitBounds fires zoomend, viewreset and moveend together: paint once, next frame.
    _scheduleRedraw: function () {
      if (!this._frame) {
        this._frame = L.Util.requestAnimFrame(function () { this._frame = null; this._redraw(); }, this);
      }
    },

    _redraw: function () {
      var map = this._map;
      if (!map || !this._canvas) { return; }
      // A tenth of the view beyond each edge, so a pan shows places before the redraw.
      var view = map.getSize();
      var pad = view.multiplyBy(0.1).round();
      var size = view.add(pad.multiplyBy(2));
      var ratio = window.devicePixelRatio || 1;
      var topLeft = map.containerPointToLayerPoint(pad.multiplyBy(-1));
      L.DomUtil.setPosition(this._canvas, topLeft);
      this._canvas.width = Math.round(size.x * ratio);
      this._canvas.height = Math.round(size.y * ratio);
      this._canvas.style.width = size.x + "px";
      this._canvas.style.height = size.y + "px";
      var ctx = this._ctx;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      var scale = Math.pow(2, map.getZoom());
      var origin = map.getPixelOrigin();
      var ox = origin.x + topLeft.x, oy = origin.y + topLeft.y;
      // The view in zoom-0 pixels: places wholly outside it are skipped.
      var vx0 = ox / scale, vy0 = oy / scale, vx1 = (ox + size.x) / scale, vy1 = (oy + size.y) / scale;
      var bbox = this._bbox, xy = this._xy, rings = this._rings;
      var self = this;
      function trace(i) {
        var own = rings[i];
        for (var r = 0; r < own.length; r += 2) {
          for (var p = own[r]; p < own[r + 1]; p += 1) {
            var x = xy[p * 2] * scale - ox, y = xy[p * 2 + 1] * scale - oy;
            if (p === own[r]) { ctx.moveTo(x, y); } else { ctx.lineTo(x, y); }
          }
          // No closePath(): GeoJSON rings end on their first vertex already, and in Chromium
          // each closePath() on a long path costs time in proportion to the path (measured:
          // 0.7 s of closePath calls for 10,000 cells, 7 ms without them).
        }
      }
      function visible(i) {
        return !(bbox[i * 4] > vx1 || bbox[i * 4 + 2] < vx0 || bbox[i * 4 + 1] > vy1 || bbox[i * 4 + 3] < vy0);
      }
      ctx.lineJoin = "round";
      this._groups.forEach(function (group) {
        ctx.beginPath();
        var any = false;
        for (var m = 0; m < group.members.length; m += 1) {
          var i = group.members[m];
          if (visible(i)) { trace(i); any = true; }
        }
        if (!any) { return; }
        ctx.globalAlpha = self.options.fillOpacity;
        ctx.fillStyle = group.style.fillColor;
        ctx.fill("evenodd");
        ctx.globalAlpha = 1;
        ctx.strokeStyle = group.style.color;
        ctx.lineWidth = group.style.weight;
        ctx.stroke();
      });
      if (this._highlight >= 0 && visible(this._highlight)) {
        ctx.beginPath();
        trace(this._highlight);
        ctx.strokeStyle = "#111";
        ctx.lineWidth = 3;
        ctx.stroke();
      }
    },

    // The feature under a map point, or -1: the topmost (last) one wins.
    _hit: function (latlng) {
      var g = this._map.project(latlng, 0);
      var bbox = this._bbox, xy = this._xy;
      for (var i = this._features.length - 1; i >= 0; i -= 1) {
        if (g.x < bbox[i * 4] || g.x > bbox[i * 4 + 2] || g.y < bbox[i * 4 + 1] || g.y > bbox[i * 4 + 3]) { continue; }
        var inside = false;
        var own = this._rings[i];
        for (var r = 0; r < own.length; r += 2) {
          for (var a = own[r], b = own[r + 1] - 1; a < own[r + 1]; b = a, a += 1) {
            var ax = xy[a * 2], ay = xy[a * 2 + 1], bx = xy[b * 2], by = xy[b * 2 + 1];
            if ((ay > g.y) !== (by > g.y) && g.x < (bx - ax) * (g.y - ay) / (by - ay) + ax) { inside = !inside; }
          }
        }
        if (inside) { return i; }
      }
      return -1;
    },

    _onMouseMove: function (event) {
      var i = this._hit(event.latlng);
      if (i !== this._highlight) {
        this._highlight = i;
        this._scheduleRedraw();
        this._map.getContainer().classList.toggle("over-place", i >= 0);
      }
      if (i >= 0) { this.fire("mousemove", { feature: this._features[i], latlng: event.latlng }); }
      else { this.fire("mouseout", { latlng: event.latlng }); }
    },

    _onMouseOut: function () {
      if (this._highlight >= 0) {
        this._highlight = -1;
        this._scheduleRedraw();
        this._map.getContainer().classList.remove("over-place");
      }
      this.fire("mouseout", {});
    },

    _onClick: function (event) {
      var i = this._hit(event.latlng);
      if (i >= 0) { this.fire("click", { feature: this._features[i], latlng: event.latlng }); }
    }
  });

  L.cellsCanvas = function (geojson, options) { return new CellsCanvas(geojson, options); };
})();
