/* SchoolRun map drawing for the officer's page (Leaflet, vendored): no API calls here.
 *
 * - routeColour: a colour per route, neighbours in the plan's order far apart in hue;
 * - drawBase: tiles from the settings, else the scenario's boundary and faint roads;
 * - declutter: school labels that would overlap a label already shown are hidden (the
 *   school's marker still names it on hover), recomputed at every zoom;
 * - numberStops: the selected route's stops numbered on the map (stops at one point,
 *   e.g. drop-offs at a school, share one label "5-8").
 *
 * Text from the server goes in with textContent only (never Leaflet's HTML strings).
 */
(function () {
  "use strict";

  // Golden-angle hues: consecutive routes differ by ~137.5 degrees, so routes that the
  // solver numbered together (often neighbours on the map) never look alike; three
  // lightness steps triple the distinct colours before a hue comes near another.
  function routeColour(k) {
    const hue = (k * 137.508) % 360;
    const light = [38, 50, 30][k % 3];
    return `hsl(${hue.toFixed(1)}, 72%, ${light}%)`;
  }

  function basePane(map) {
    if (!map.getPane("basemap")) {
      map.createPane("basemap").style.zIndex = 350; // above tiles (200), below routes (400)
      map.getPane("basemap").style.pointerEvents = "none";
    }
    return "basemap";
  }

  // Returns the attribution lines of what it drew (for the page's footer, as text).
  function drawBase(map, group, basemap) {
    const lines = [];
    group.clearLayers();
    const pane = basePane(map);
    if (basemap.tiles) {
      L.tileLayer(basemap.tiles.url, { maxZoom: basemap.tiles.max_zoom }).addTo(group);
      if (basemap.tiles.attribution) lines.push(basemap.tiles.attribution);
    }
    for (const layer of basemap.layers) {
      if (layer.name === "roads") {
        const canvas = L.canvas({ pane }); // thousands of lines: one canvas, not SVG paths
        L.geoJSON(layer.geojson, {
          pane,
          renderer: canvas,
          interactive: false,
          style: (f) => ({
            color: "#8a8f98",
            weight: f.properties.road_class === "major" ? 1.6 : 0.7,
            opacity: f.properties.road_class === "major" ? 0.55 : 0.35,
          }),
        }).addTo(group);
      } else {
        L.geoJSON(layer.geojson, {
          pane,
          interactive: false,
          style: () => ({
            color: "#4b5563", weight: 1.5, opacity: 0.8, dashArray: "6 4",
            fillColor: "#dfe7ee", fillOpacity: 0.35, className: "basemap-boundary",
          }),
        }).addTo(group);
      }
      if (layer.attribution) lines.push(layer.attribution);
    }
    return lines;
  }

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  // labels: [{element, priority}] in any order; the highest priority is placed first.
  function declutter(labels) {
    const placed = [];
    const ordered = [...labels].sort((a, b) => b.priority - a.priority);
    for (const label of ordered) label.element.classList.remove("label-hidden");
    for (const label of ordered) {
      const box = label.element.getBoundingClientRect();
      const padded = { left: box.left - 2, right: box.right + 2, top: box.top - 2, bottom: box.bottom + 2 };
      if (placed.some((other) => overlaps(padded, other))) {
        label.element.classList.add("label-hidden");
      } else {
        placed.push(padded);
      }
    }
  }

  // "1", "2", "5-8": consecutive stop numbers at one point written as a range.
  function numberRanges(numbers) {
    const parts = [];
    let start = numbers[0];
    let prev = numbers[0];
    for (const n of [...numbers.slice(1), null]) {
      if (n !== null && n === prev + 1) {
        prev = n;
        continue;
      }
      parts.push(start === prev ? String(start) : `${start}-${prev}`);
      start = n;
      prev = n;
    }
    return parts.join(",");
  }

  // stops: [{lat, lon, seq}] in route order; adds one numbered marker per point.
  function numberStops(group, stops, colour) {
    const byPoint = new Map();
    for (const s of stops) {
      const key = `${s.lat.toFixed(6)},${s.lon.toFixed(6)}`;
      if (!byPoint.has(key)) byPoint.set(key, { lat: s.lat, lon: s.lon, seqs: [] });
      byPoint.get(key).seqs.push(s.seq);
    }
    for (const point of byPoint.values()) {
      const text = numberRanges(point.seqs);
      L.marker([point.lat, point.lon], {
        icon: L.divIcon({ className: "stop-number", html: "", iconSize: null, iconAnchor: [9, 9] }),
        keyboard: false,
        interactive: false,
        zIndexOffset: 1000,
      })
        .on("add", (e) => {
          const node = e.target.getElement();
          node.textContent = text;
          node.style.borderColor = colour;
        })
        .addTo(group);
    }
  }

  window.SchoolRunMap = { routeColour, drawBase, declutter, numberStops, numberRanges };
})();
