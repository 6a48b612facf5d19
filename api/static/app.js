/* SchoolRun web page: sign in, then each role sees its own view.
 *
 * officer: the plan's routes on a map, a colour each (road geometry solid, straight
 *          segments dashed) over the scenario's boundary and roads (or tiles from the
 *          settings), with the route table beside it; run and school filter both; a
 *          route clicked on the map or in the table is highlighted with its stops
 *          numbered (drawing helpers: map.js);
 * finance: the plan against today's arrangement (table and chart), no pupils;
 * school:  its own pickup list only.
 *
 * Everything the API returns is put into the page with textContent, never innerHTML.
 * The token lives in sessionStorage (gone when the tab closes) and every call sends it.
 */
(function () {
  "use strict";

  const API = "/api/v1";
  const TOKEN_KEY = "schoolrun.token";
  const REFRESH_KEY = "schoolrun.refresh";
  const state = { token: sessionStorage.getItem(TOKEN_KEY), me: null, map: null, layers: null };

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function status(message) {
    $("status").textContent = message || "";
  }

  // ------------------------------------------------------------------ API

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || `The server answered ${status}.`);
      this.status = status;
      this.body = body;
    }
  }

  function keepTokens(body) {
    state.token = body.access_token;
    sessionStorage.setItem(TOKEN_KEY, state.token);
    sessionStorage.setItem(REFRESH_KEY, body.refresh_token);
  }

  // Access tokens last minutes: swap the refresh token for a new pair once, on a 401.
  async function refreshTokens() {
    const refresh = sessionStorage.getItem(REFRESH_KEY);
    if (!refresh) return false;
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refresh });
    const response = await fetch(API + "/token", { method: "POST", body: form });
    if (!response.ok) return false;
    keepTokens(await response.json());
    return true;
  }

  async function api(path, options, isRetry) {
    const headers = Object.assign({ Accept: "application/json" }, (options || {}).headers);
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    const response = await fetch(API + path, Object.assign({}, options, { headers }));
    if (response.status === 401 && state.token && !isRetry && (await refreshTokens())) {
      return api(path, options, true);
    }
    let body = null;
    const type = response.headers.get("content-type") || "";
    if (type.includes("json")) body = await response.json();
    if (response.status === 401 && state.token) {
      signOut("Your session has ended: please sign in again.");
      throw new ApiError(401, body);
    }
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  // ------------------------------------------------------------------ formatting

  const gbp = (pence) =>
    "£" + Math.round(pence / 100).toLocaleString("en-GB", { maximumFractionDigits: 0 });
  const gbpExact = (pence) =>
    "£" + (pence / 100).toLocaleString("en-GB", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const miles = (metres) => (metres / 1609.344).toFixed(1) + " mi";
  const minutes = (seconds) => Math.round(seconds / 60) + " min";
  const hhmm = (clock) => (clock || "").slice(0, 5);

  function optionList(select, items, chosen) {
    select.replaceChildren(...items.map(([value, label]) => el("option", { value }, label)));
    if (chosen !== undefined) select.value = chosen;
  }

  // ------------------------------------------------------------------ sign in / out

  async function signIn(event) {
    event.preventDefault();
    $("sign-in-error").textContent = "";
    const form = new URLSearchParams();
    form.set("username", $("username").value);
    form.set("password", $("password").value);
    try {
      const response = await fetch(API + "/token", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: form,
      });
      const body = await response.json();
      if (!response.ok) {
        $("sign-in-error").textContent = body.message || "Sign-in failed.";
        return;
      }
      keepTokens(body);
      $("password").value = "";
      await start();
    } catch (err) {
      $("sign-in-error").textContent = "The server could not be reached.";
    }
  }

  function signOut(message) {
    const refresh = sessionStorage.getItem(REFRESH_KEY);
    if (refresh) {
      // End the sign-in on the server too, so the refresh token cannot be used again.
      fetch(API + "/token/revoke", { method: "POST", body: new URLSearchParams({ token: refresh }) });
    }
    state.token = null;
    state.me = null;
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(REFRESH_KEY);
    for (const id of ["officer", "finance", "school", "who", "sign-out", "unassigned"]) $(id).hidden = true;
    if (state.map) {
      state.map.remove();
      state.map = null;
      state.layers = null;
      state.routeLayers = null;
      state.basemapScenario = null;
    }
    for (const id of ["comparison-table", "vehicle-table", "pickup-table", "unassigned-table", "route-table"]) {
      $(id).querySelector("tbody").replaceChildren();
    }
    $("cost-chart").replaceChildren();
    $("route-detail").replaceChildren();
    $("attribution").textContent = "";
    $("edit-verdict").textContent = "";
    $("sign-in").hidden = false;
    status(message || "");
  }

  async function start() {
    if (!state.token) return;
    try {
      state.me = await api("/me");
    } catch (err) {
      return;
    }
    $("sign-in").hidden = true;
    $("who").textContent = `${state.me.username} (${state.me.role})`;
    $("who").hidden = false;
    $("sign-out").hidden = false;
    document.body.dataset.role = state.me.role;
    try {
      if (state.me.role === "officer") await showOfficer();
      else if (state.me.role === "finance") await showFinance();
      else if (state.me.role === "school") await showSchool();
      else status(`No page for the role '${state.me.role}'.`);
    } catch (err) {
      status(err.message);
    }
  }

  // ------------------------------------------------------------------ plans

  async function choosePlan(select, onChange, chosenId) {
    const plans = await api("/plans");
    if (!plans.length) {
      status("No plan yet: an officer plans a scenario first.");
      return null;
    }
    const chosen = plans.some((p) => p.id === chosenId) ? chosenId : plans[0].id;
    optionList(
      select,
      plans.map((p) => [String(p.id), `#${p.id} ${p.scenario_name} (${p.runs.join("+")})`]),
      String(chosen)
    );
    select.onchange = () => onChange(Number(select.value)).catch((err) => status(err.message));
    return chosen;
  }

  // ------------------------------------------------------------------ officer

  const STYLE = {
    road: { weight: 4, opacity: 0.85, dashArray: null },
    partly_road: { weight: 3, opacity: 0.85, dashArray: "2 6" },
    straight: { weight: 3, opacity: 0.8, dashArray: "8 6" },
  };
  const FADED_OPACITY = 0.18;
  const MAP = window.SchoolRunMap;
  const routeKey = (run, routeId) => `${run}|${routeId}`;

  async function showOfficer() {
    $("officer").hidden = false;
    if (!state.map) {
      state.map = L.map("map", { zoomControl: true, attributionControl: false, preferCanvas: false });
      state.map.setView([51.56, 0.21], 11);
      L.control.scale({ imperial: true, metric: true }).addTo(state.map);
      state.baseGroup = L.layerGroup().addTo(state.map);
      state.basemapScenario = null;
      state.map.on("zoomend", placeSchoolLabels);
      state.map.on("moveend", () => $("table-in-view").checked && fillRouteTable(state.shownKeys || []));
      $("table-in-view").onchange = () => fillRouteTable(state.shownKeys || []);
      state.map.on("click", () => selectRoute(null));
    }
    const planId = await choosePlan($("officer-plan"), loadOfficerPlan);
    if (planId !== null) await loadOfficerPlan(planId);
  }

  // Tiles when the settings name a server; else the scenario's boundary and roads.
  async function drawBasemap(scenarioId) {
    if (state.basemapScenario === scenarioId) return;
    let basemap = { tiles: null, layers: [] };
    try {
      basemap = await api(`/scenarios/${scenarioId}/basemap`);
    } catch (err) {
      status(`No base map: ${err.message}`);
    }
    state.basemapScenario = scenarioId;
    state.basemapCredits = MAP.drawBase(state.map, state.baseGroup, basemap);
    state.basemapNames = basemap.layers.map((l) => l.name);
  }

  // A plan's lifecycle (routing/lifecycle.py): schools see it only once published.
  const STATUS_WORDS = {
    draft: "Draft: schools see nothing until it is approved and published.",
    approved: "Approved, not yet published: schools see nothing yet.",
    published: "Published: its schools see these times.",
    superseded: "Superseded by a later published plan.",
  };

  function showLifecycle(plan) {
    let words = STATUS_WORDS[plan.status] || plan.status;
    if (plan.approved_by) {
      words += ` Approved by ${plan.approved_by} on ${new Date(plan.approved_at).toLocaleString("en-GB")}.`;
    }
    if (plan.is_broken) words += " Broken: it breaks a rule, so it cannot be approved until an edit mends it.";
    if (plan.version > 1) words += ` Version ${plan.version}, edited from plan #${plan.parent_plan_id}.`;
    $("plan-status").textContent = words;
    $("plan-approve").hidden = plan.status !== "draft";
    $("plan-publish").hidden = plan.status !== "approved";
    const step = (name) => async () => {
      try {
        const done = await api(`/plans/${plan.id}/${name}`, { method: "POST" });
        showLifecycle(Object.assign({}, plan, done));
        status(done.superseded && done.superseded.length
          ? `Published; plan #${done.superseded.join(", #")} superseded.` : "");
      } catch (err) {
        status(err.message);
      }
    };
    $("plan-approve").onclick = step("approve");
    $("plan-publish").onclick = step("publish");
  }

  async function loadOfficerPlan(planId) {
    status("Loading the plan…");
    const [collection, plan, table] = await Promise.all([
      api(`/plans/${planId}.geojson`),
      api(`/plans/${planId}`),
      api(`/plans/${planId}/route-table`),
    ]);
    let names = {};
    try {
      const scenario = await api(`/scenarios/${plan.scenario_id}`);
      names = Object.fromEntries(scenario.schools.map((s) => [s.school_id, s.name]));
    } catch (err) {
      names = {};
    }
    await drawBasemap(plan.scenario_id);
    state.plan = plan;
    state.collection = collection;
    state.schoolNames = names;
    state.table = table;
    // One colour per route, by its place in the plan (the same on every filter).
    state.colours = new Map(table.map((r, k) => [routeKey(r.run, r.route_id), MAP.routeColour(k)]));
    const routes = collection.features.filter((f) => f.properties.feature === "route");
    const schoolIds = [...new Set(routes.flatMap((f) => f.properties.school_ids))].sort();
    optionList(
      $("officer-school"),
      [["", "All schools"], ...schoolIds.map((id) => [id, names[id] ? `${names[id]} (${id})` : id])],
      ""
    );
    const model = (collection.properties || {}).travel_model || plan.travel_model || "";
    const kinds = new Set(routes.map((f) => f.properties.geometry_kind));
    let words = model ? `Travel times: ${model}.` : "";
    if (kinds.has("straight") || kinds.has("partly_road")) {
      words += " Dashed lines are straight segments between stops, not the roads driven.";
    }
    $("travel-model").textContent = words.trim();
    const credits = [...state.basemapCredits];
    if ((kinds.has("road") || kinds.has("partly_road")) && !credits.some((c) => c.includes("OpenStreetMap"))) {
      credits.unshift("Road geometry © OpenStreetMap contributors (ODbL).");
    }
    $("attribution").textContent = credits.join(" · ");
    $("legend-boundary").hidden = !state.basemapNames.includes("boundary");
    $("legend-roads").hidden = !state.basemapNames.includes("roads");
    showLifecycle(plan);
    const unassigned = plan.unassigned || [];
    $("unassigned").hidden = unassigned.length === 0;
    $("unassigned-summary").textContent =
      `${unassigned.length} pupil journey${unassigned.length === 1 ? "" : "s"} not planned: why`;
    $("unassigned-table").querySelector("tbody").replaceChildren(
      ...unassigned.map((u) =>
        el(
          "tr",
          {},
          el("td", {}, u.pupil_id),
          el("td", {}, names[u.school_id] || u.school_id),
          el("td", {}, u.run),
          el("td", {}, u.reason)
        )
      )
    );
    $("officer-run").onchange = drawRoutes;
    $("officer-school").onchange = drawRoutes;
    drawRoutes();
    status("");
  }

  function routeStyle(entry, mode) {
    const base = { color: entry.colour, weight: entry.style.weight, opacity: entry.style.opacity, dashArray: entry.style.dashArray };
    if (mode === "selected") return Object.assign(base, { weight: entry.style.weight + 3, opacity: 1 });
    if (mode === "faded") return Object.assign(base, { opacity: FADED_OPACITY });
    return base;
  }

  function drawRoutes() {
    const map = state.map;
    if (state.layers) state.layers.remove();
    state.layers = L.layerGroup().addTo(map);
    state.routeLayers = new Map();
    state.selectedKey = null;
    state.stopLayer = null;
    const run = $("officer-run").value;
    const school = $("officer-school").value;
    const features = state.collection.features;
    const routes = features.filter(
      (f) =>
        f.properties.feature === "route" &&
        (!run || f.properties.run === run) &&
        (!school || f.properties.school_ids.includes(school))
    );
    const bounds = L.latLngBounds([]);
    for (const feature of routes) {
      const p = feature.properties;
      const key = routeKey(p.run, p.route_id);
      const entry = { key, style: STYLE[p.geometry_kind] || STYLE.straight, colour: state.colours.get(key) || "#1f4e79" };
      const layer = L.geoJSON(feature, {
        style: () => Object.assign(routeStyle(entry, "normal"), {
          className: `route-line route-${p.geometry_kind} route-run-${p.run}`,
        }),
      });
      entry.layer = layer;
      layer.on("click", (e) => {
        L.DomEvent.stopPropagation(e);
        selectRoute(key, false);
      });
      layer.bindTooltip(`${p.route_id} (${p.run}) ${p.vehicle_type}, ${p.pupils} pupils`, { sticky: true });
      layer.addTo(state.layers);
      layer.eachLayer((l) => {
        if (l.getElement && l.getElement()) l.getElement().setAttribute("data-route", key);
        if (l.getBounds) bounds.extend(l.getBounds());
      });
      state.routeLayers.set(key, entry);
    }
    drawSchools(features, routes, school);
    fillRouteTable(routes.map((f) => routeKey(f.properties.run, f.properties.route_id)));
    $("route-detail").replaceChildren(el("p", { class: "muted" }, "Click a route on the map or in the table for its stops and times."));
    $("route-count").textContent = `${routes.length} route${routes.length === 1 ? "" : "s"} shown`;
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], animate: false });
    placeSchoolLabels();
  }

  // Schools: a square each (its name on hover) and a label, hidden where it would
  // overlap a label of a school with more routes (placeSchoolLabels, at every zoom).
  function drawSchools(features, routes, onlySchool) {
    const routesAt = new Map();
    for (const f of routes) {
      for (const id of f.properties.school_ids) routesAt.set(id, (routesAt.get(id) || 0) + 1);
    }
    state.schoolLabels = [];
    const seen = new Set();
    for (const f of features) {
      const p = f.properties;
      if (p.feature !== "stop" || !p.school_id || seen.has(p.school_id) || !routesAt.has(p.school_id)) continue;
      const atSchool = (p.run === "AM" && p.kind === "dropoff") || (p.run === "PM" && p.kind === "pickup");
      if (!atSchool || (onlySchool && p.school_id !== onlySchool)) continue;
      seen.add(p.school_id);
      const name = state.schoolNames[p.school_id] || p.school_id;
      const at = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      L.marker(at, {
        icon: L.divIcon({ className: "school-marker", html: "", iconSize: [12, 12] }),
        keyboard: false,
        zIndexOffset: 500,
      })
        .bindTooltip(el("span", {}, name), { direction: "top", offset: [0, -8], className: "school-tooltip" })
        .on("add", (e) => e.target.getElement().setAttribute("data-school", p.school_id))
        .addTo(state.layers);
      const label = L.marker(at, {
        icon: L.divIcon({ className: "school-label", html: "", iconSize: null, iconAnchor: [-9, 9] }),
        keyboard: false,
        interactive: false,
      })
        .on("add", (e) => {
          const node = e.target.getElement();
          node.textContent = name;
          node.setAttribute("data-school", p.school_id);
        })
        .addTo(state.layers);
      state.schoolLabels.push({ marker: label, priority: routesAt.get(p.school_id) });
    }
  }

  function placeSchoolLabels() {
    state.map.getContainer().dataset.zoom = String(state.map.getZoom()); // for tests and styles
    const labels = (state.schoolLabels || [])
      .map((l) => ({ element: l.marker.getElement(), priority: l.priority }))
      .filter((l) => l.element);
    MAP.declutter(labels);
  }

  const isLocked = (routeId) => ((state.plan || {}).locked_route_ids || []).includes(routeId);

  // The table lists the routes the filters show; with "only routes in view", those the
  // map's view crosses too (recomputed as the map moves).
  function fillRouteTable(keys) {
    state.shownKeys = keys;
    const view = $("table-in-view").checked && state.map ? state.map.getBounds() : null;
    const shown = new Set(keys.filter((key) => {
      const entry = view && state.routeLayers.get(key);
      return !entry || view.intersects(entry.layer.getBounds());
    }));
    const rows = state.table.filter((r) => shown.has(routeKey(r.run, r.route_id)));
    $("route-table").querySelector("tbody").replaceChildren(
      ...rows.map((r) => {
        const key = routeKey(r.run, r.route_id);
        const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
        swatch.style.background = state.colours.get(key);
        const row = el(
          "tr",
          { class: key === state.selectedKey ? "route-row selected" : "route-row", "data-route": key, tabindex: "0" },
          el("th", { scope: "row" }, swatch, r.route_id.startsWith(r.run) ? r.route_id : `${r.route_id} ${r.run}`,
            isLocked(r.route_id) ? el("span", { class: "badge-locked", title: "Locked: vehicle, assistant and order kept" }, "locked") : null),
          el("td", {}, r.vehicle_type),
          el("td", {}, r.has_assistant ? "yes" : "no"),
          el("td", { class: "num" }, r.num_pupils),
          el("td", { class: "num", title: `${r.occupancy_pct}% of the places for pupils at the fullest` },
            `${r.peak_on_board}/${r.num_places}`),
          el("td", { class: "num" }, hhmm(r.first_pickup)),
          el("td", { class: "num" }, hhmm(r.arrival)),
          el("td", { class: "num" }, minutes(r.longest_ride_s)),
          el("td", { class: "num" }, gbpExact(r.cost_pence))
        );
        row.addEventListener("click", () => selectRoute(key, true));
        row.addEventListener("keydown", (e) => {
          if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            selectRoute(key, true);
          }
        });
        return row;
      })
    );
    const pupils = rows.reduce((n, r) => n + r.num_pupils, 0);
    const cost = rows.reduce((n, r) => n + r.cost_pence, 0);
    $("route-table-total").replaceChildren(
      el("th", { scope: "row" }, `${rows.length} route${rows.length === 1 ? "" : "s"}`),
      el("td", { colspan: "2" }),
      el("td", { class: "num" }, pupils),
      el("td", { colspan: "4" }),
      el("td", { class: "num" }, gbpExact(cost))
    );
  }

  // Select a route (key) from the map or the table, or clear the selection (null):
  // the others fade, the route is drawn on top with its stops numbered, its row marked.
  function selectRoute(key, fromTable) {
    if (!state.routeLayers) return;
    const chosen = key ? state.routeLayers.get(key) : null;
    if (key && !chosen) return;
    state.selectedKey = chosen ? key : null;
    for (const entry of state.routeLayers.values()) {
      const mode = !chosen ? "normal" : entry === chosen ? "selected" : "faded";
      entry.layer.setStyle(routeStyle(entry, mode));
      entry.layer.eachLayer((l) => l.getElement && l.getElement() &&
        l.getElement().classList.toggle("route-selected", mode === "selected"));
    }
    for (const row of $("route-table").querySelectorAll("tr.route-row")) {
      row.classList.toggle("selected", row.dataset.route === state.selectedKey);
      if (row.dataset.route === state.selectedKey && !fromTable) row.scrollIntoView({ block: "nearest" });
    }
    if (state.stopLayer) state.stopLayer.remove();
    state.stopLayer = null;
    if (!chosen) {
      $("route-detail").replaceChildren(el("p", { class: "muted" }, "Click a route on the map or in the table for its stops and times."));
      return;
    }
    chosen.layer.bringToFront();
    if (fromTable) {
      state.map.fitBounds(chosen.layer.getBounds(), { padding: [40, 40], maxZoom: 15, animate: false });
      placeSchoolLabels();
    }
    const [run, routeId] = [key.slice(0, key.indexOf("|")), key.slice(key.indexOf("|") + 1)];
    showRoute(routeId, run, chosen.colour);
  }

  function showRoute(routeId, run, colour) {
    const features = state.collection.features;
    const route = features.find(
      (f) => f.properties.feature === "route" && f.properties.route_id === routeId && f.properties.run === run
    );
    const stops = features
      .filter((f) => f.properties.feature === "stop" && f.properties.route_id === routeId && f.properties.run === run)
      .sort((a, b) => a.properties.seq - b.properties.seq);
    const p = route.properties;
    const rows = stops.map((s) => {
      const q = s.properties;
      const where = q.school_id && ((run === "AM" && q.kind === "dropoff") || (run === "PM" && q.kind === "pickup"))
        ? state.schoolNames[q.school_id] || q.school_id
        : "home";
      return el(
        "tr",
        { class: "stop-row" },
        el("td", { class: "num" }, q.seq),
        el("td", {}, hhmm(q.service_start_time)),
        el("td", {}, q.kind === "pickup" ? "pick up" : "drop off"),
        el("td", {}, where),
        el("td", {}, q.pupil_ids.join(", "))
      );
    });
    state.stopLayer = L.layerGroup(
      stops.map((s) =>
        L.circleMarker([s.geometry.coordinates[1], s.geometry.coordinates[0]], {
          radius: 5,
          color: "#111",
          weight: 1,
          fillColor: s.properties.kind === "pickup" ? "#ffffff" : "#111111",
          fillOpacity: 1,
          className: "stop-marker",
        }).bindTooltip(`${s.properties.seq}. ${hhmm(s.properties.service_start_time)}`)
      )
    ).addTo(state.layers);
    MAP.numberStops(
      state.stopLayer,
      stops.map((s) => ({ lat: s.geometry.coordinates[1], lon: s.geometry.coordinates[0], seq: s.properties.seq })),
      colour
    );
    const parts = [
      el("h3", {}, `Route ${p.route_id} (${p.run})`),
      el(
        "p",
        {},
        `${p.vehicle_type}, assistant: ${p.has_assistant ? "yes" : "no"}, ${p.pupils} pupils, ` +
          `${miles(p.distance_m)}, ${minutes(p.duration_s)}, ${gbpExact(Math.round(p.cost_gbp * 100))} this run.`
      ),
      p.geometry_kind === "road" ? null : el("p", { class: "model" }, "Drawn as straight lines between stops."),
      el(
        "table",
        { class: "data", id: "stop-table" },
        el("thead", {}, el("tr", {}, ...["#", "Time", "", "Where", "Pupils"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, ...rows)
      ),
    ];
    parts.push(editControls(routeId, run, stops));
    // replaceChildren would write a null as the text "null" (road routes have no note).
    $("route-detail").replaceChildren(...parts.filter(Boolean));
  }

  // ------------------------------------------------------------------ officer's edits

  // Lock or unlock the route, or move one of its pupils to another route of the run
  // (POST /plans/{id}/edits): the checker's verdict and the cost change show at once; a
  // move makes a new version (a draft) which the page then shows.
  function editControls(routeId, run, stops) {
    const locked = isLocked(routeId);
    const lock = el("button", { type: "button", id: "route-lock" }, locked ? "Unlock route" : "Lock route");
    lock.onclick = () => sendEdit({ action: locked ? "unlock" : "lock", route_id: routeId }, routeId, run);
    const pupils = [...new Set(stops.flatMap((s) => s.properties.pupil_ids))];
    const targets = state.table.filter((r) => r.run === run && r.route_id !== routeId);
    const pupil = el("select", { id: "move-pupil" }, ...pupils.map((id) => el("option", { value: id }, id)));
    const target = el("select", { id: "move-to" }, ...targets.map((r) =>
      el("option", { value: r.route_id }, `${r.route_id} (${r.vehicle_type}, ${r.peak_on_board}/${r.num_places})`)));
    const force = el("input", { type: "checkbox", id: "move-force" });
    const move = el("button", { type: "submit", id: "move-submit" }, "Move");
    const form = el("form", { id: "move-form", class: "edit-form" },
      el("label", {}, "Move pupil ", pupil), el("label", {}, " to route ", target),
      el("label", { class: "force" }, force, " keep it even if it breaks a rule (a draft marked broken)"), move);
    form.onsubmit = (event) => {
      event.preventDefault();
      sendEdit({ action: "move", pupil_id: pupil.value, run, to_route_id: target.value, force: force.checked },
        target.value, run);
    };
    return el("div", { class: "edits" },
      el("p", {}, lock, " ", locked ? "Locked: its vehicle, assistant and pupil order are kept by edits and re-plans." : ""),
      pupils.length && targets.length ? form : null);
  }

  async function sendEdit(body, showRouteId, run) {
    const verdict = $("edit-verdict");
    verdict.className = "verdict";
    verdict.textContent = "Checking the edit…";
    const planId = state.plan.id;
    try {
      const done = await api(`/plans/${planId}/edits`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      const cost = done.cost_change_pence;
      const money = cost === 0 ? "no change in cost" : `${cost > 0 ? "+" : "−"}${gbpExact(Math.abs(cost))} a day`;
      const rules = done.violations.length
        ? `breaks ${done.violations.length} rule(s): ${done.violations.map((v) => v.message).join(" ")}`
        : "the checker finds no rule broken";
      const words = done.plan_id === planId
        ? `${done.description}: ${rules}.`
        : `${done.description}: new version ${done.version} (plan #${done.plan_id}, a draft), ${money}; ${rules}.`;
      await choosePlan($("officer-plan"), loadOfficerPlan, done.plan_id);
      $("officer-run").value = run;
      await loadOfficerPlan(done.plan_id);
      selectRoute(routeKey(run, showRouteId), true);
      // Said once the page shows the plan the edit made, so what it says is on screen.
      verdict.className = done.is_broken ? "verdict broken" : "verdict ok";
      verdict.textContent = words;
    } catch (err) {
      verdict.className = "verdict refused";
      const details = ((err.body || {}).violations || []).map((v) => v.message);
      verdict.textContent = `Refused: ${err.message}${details.length ? " " + details.join(" ") : ""}`;
    }
  }

  // ------------------------------------------------------------------ finance

  async function showFinance() {
    $("finance").hidden = false;
    $("tradeoff-form").onsubmit = (event) => {
      event.preventDefault();
      runTradeoff().catch((err) => { $("tradeoff-status").textContent = err.message; });
    };
    $("variants-form").onsubmit = (event) => {
      event.preventDefault();
      runVariants().catch((err) => { $("variants-status").textContent = err.message; });
    };
    const planId = await choosePlan($("finance-plan"), loadFinancePlan);
    if (planId !== null) await loadFinancePlan(planId);
  }

  async function loadFinancePlan(planId) {
    state.financePlanId = planId;
    const [, modes] = await Promise.all([loadPlanComparison(planId), loadModes(planId)]);
    return modes;
  }

  async function loadPlanComparison(planId) {
    const data = await api(`/plans/${planId}/comparison`);
    state.financeScenarioId = data.scenario_id;
    const c = data.comparison;
    const tbody = $("comparison-table").querySelector("tbody");
    if (!c) {
      tbody.replaceChildren();
      $("finance-headline").textContent = "This plan has no comparison with today's arrangement.";
      return;
    }
    const cur = c.current;
    const plan = c.plan;
    const money = (v) => gbp(v);
    const count = (v) => String(v);
    const mins = (v) => `${Number(v).toFixed(1)} min`;
    const rows = [
      ["Annual cost", cur.annual_pence, plan.annual_pence, money],
      ["Day cost", cur.day_pence, plan.day_pence, money],
      ["Cost per pupil-day", cur.per_pupil_day_pence, plan.per_pupil_day_pence, gbpExact],
      ["Pupils", cur.num_pupils, plan.num_pupils, count],
      ["Vehicles", cur.num_vehicles, plan.num_vehicles, count],
      ["Passenger assistants", cur.num_assistants, plan.num_assistants, count],
      ["Mean ride", cur.rides.mean_min, plan.rides.mean_min, mins],
      ["95th percentile ride", cur.rides.p95_min, plan.rides.p95_min, mins],
      ["Longest ride", cur.rides.max_min, plan.rides.max_min, mins],
      ["Rides over 45 min", cur.rides.num_over_45_min, plan.rides.num_over_45_min, count],
      ["Rides over 75 min", cur.rides.num_over_75_min, plan.rides.num_over_75_min, count],
    ];
    // A side with no measured rides (e.g. today's arrangement unknown) shows a dash.
    const noRides = { current: cur.rides.num_rides === 0, plan: plan.rides.num_rides === 0 };
    tbody.replaceChildren(
      ...rows.map(([label, a, b, fmt]) => {
        if (fmt === mins && (noRides.current || noRides.plan)) {
          return el(
            "tr",
            {},
            el("th", { scope: "row" }, label),
            el("td", { class: "num" }, noRides.current ? "—" : fmt(a)),
            el("td", { class: "num" }, noRides.plan ? "—" : fmt(b)),
            el("td", { class: "num" }, "—")
          );
        }
        const change = b - a;
        const sign = change > 0 ? "+" : change < 0 ? "−" : "";
        const changeText = fmt === money || fmt === gbpExact
          ? sign + fmt(Math.abs(change))
          : fmt === mins
          ? sign + Math.abs(change).toFixed(1) + " min"
          : sign + Math.abs(change);
        return el(
          "tr",
          {},
          el("th", { scope: "row" }, label),
          el("td", { class: "num" }, fmt(a)),
          el("td", { class: "num" }, fmt(b)),
          el("td", { class: "num" }, changeText)
        );
      })
    );
    const saving = c.saving_annual_pence;
    $("finance-headline").textContent = saving >= 0
      ? `The plan saves ${gbp(saving)} a year (${c.saving_pct}%) against today's arrangement.`
      : `The plan costs ${gbp(-saving)} a year more (${-c.saving_pct}%) than today's arrangement.`;
    const types = new Map();
    for (const t of cur.by_vehicle_type) types.set(t.vehicle_type, [t.num_vehicles, 0]);
    for (const t of plan.by_vehicle_type) {
      types.set(t.vehicle_type, [(types.get(t.vehicle_type) || [0, 0])[0], t.num_vehicles]);
    }
    $("vehicle-table").querySelector("tbody").replaceChildren(
      ...[...types.entries()].sort().map(([name, [a, b]]) =>
        el("tr", {}, el("th", { scope: "row" }, name), el("td", { class: "num" }, a), el("td", { class: "num" }, b))
      )
    );
    const notes = [`Travel times: ${c.travel_model}.`];
    if (c.fallback_note) notes.push(c.fallback_note);
    if (noRides.current) notes.push("Today's ride times are not known, so today is not on the chart.");
    $("finance-note").textContent = notes.join(" ");
    drawChart([
      ...(noRides.current
        ? []
        : [{ name: "today", cost: cur.annual_pence, ride: cur.rides.mean_min, worst: cur.rides.max_min, kind: "current" }]),
      { name: "plan", cost: plan.annual_pence, ride: plan.rides.mean_min, worst: plan.rides.max_min, kind: "plan" },
      ...(data.variants || []).map((v) => ({
        name: v.variant, cost: v.annual_cost_gbp * 100, ride: v.mean_ride_min, worst: v.max_ride_min, kind: "variant",
      })),
    ]);
  }

  // What-if variants: a comparison job the finance user starts, polled until done.
  // A comparison job the finance user starts (POST), polled until done; the table.
  async function runComparison(variants, timeLimitS, say, button) {
    button.disabled = true;
    try {
      say("Sending the variants…");
      const job = await api(`/scenarios/${state.financeScenarioId}/comparisons`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ variants, run: "both", time_limit_s: timeLimitS }),
      });
      say("Queued: waiting for the worker to plan the baseline and each variant…");
      let done = job;
      while (done.state === "queued" || done.state === "running") {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        done = await api(`/jobs/${job.job_id}`);
        if (done.progress && done.progress.message) say(`Running: ${done.progress.message}`);
      }
      if (done.state !== "succeeded" || !done.comparison_id) {
        throw new Error(`The comparison did not finish: ${done.error || done.state}.`);
      }
      return [done.comparison_id, await api(`/comparisons/${done.comparison_id}`)];
    } finally {
      button.disabled = false;
    }
  }

  async function runVariants() {
    const variants = $("variants-input").value.split("\n").map((v) => v.trim()).filter(Boolean);
    if (!variants.length) throw new Error("Write at least one variant, NAME=OVERRIDE.");
    const say = (text) => { $("variants-status").textContent = text; };
    const seconds = Number($("variants-time").value) || 5;
    const [id, table] = await runComparison(variants, seconds, say, $("variants-run"));
    showVariants(table);
    say(`Comparison #${id}: ${variants.length} variant(s) against the baseline.`);
  }

  // The ride-time trade-off (as `schoolrun tradeoff`): the plan at each value of a
  // pupil's on-board minute, variants named ride<pence>p as routing.tradeoff names them.
  async function runTradeoff() {
    const values = $("tradeoff-values").value.split(",").map((v) => Number(v.trim()))
      .filter((v) => Number.isFinite(v) && v > 0);
    if (!values.length) throw new Error("Give at least one value above £0, e.g. 0.05,0.1.");
    const variants = values.map((v) => `ride${Math.round(v * 100)}p=ride_minute_value_gbp=${v.toFixed(2)}`);
    const say = (text) => { $("tradeoff-status").textContent = text; };
    const seconds = Number($("tradeoff-time").value) || 5;
    const [id, table] = await runComparison(variants, seconds, say, $("tradeoff-run"));
    showTradeoff(table);
    say(`Trade-off from comparison #${id}: ${values.length + 1} values of a pupil's minute.`);
  }

  function showTradeoff(table) {
    const value = (name) => (name === "baseline" ? 0 : Number((/^ride(\d+)p$/.exec(name) || [])[1]));
    const points = table.rows
      .filter((r) => !r.error && (r.variant === "baseline" || /^ride\d+p$/.test(r.variant)))
      .map((r) => ({ r, pence: value(r.variant) }))
      .sort((a, b) => a.pence - b.pence);
    $("tradeoff-table").querySelector("tbody").replaceChildren(
      ...points.map(({ r, pence }) => el(
        "tr", {},
        el("th", { scope: "row" }, r.variant === "baseline" ? "policy's own value" : `£${(pence / 100).toFixed(2)}`),
        el("td", { class: "num" }, gbp(r.annual_cost_gbp * 100)),
        el("td", { class: "num" }, `${Number(r.mean_ride_min).toFixed(1)} min`),
        el("td", { class: "num" }, `${Number(r.max_ride_min).toFixed(1)} min`),
        el("td", { class: "num" }, r.pupils_over_45_min)
      ))
    );
    $("tradeoff-empty").hidden = true;
    $("tradeoff-table").hidden = false;
    $("tradeoff-figure").hidden = false;
    const today = table.rows.find((r) => r.variant === "current" && !r.error);
    drawChart([
      ...(today ? [{ name: "today", cost: today.annual_cost_gbp * 100, ride: today.mean_ride_min, worst: today.max_ride_min, kind: "current" }] : []),
      ...points.map(({ r, pence }) => ({
        name: r.variant === "baseline" ? "policy" : `£${(pence / 100).toFixed(2)}/min`,
        cost: r.annual_cost_gbp * 100, ride: r.mean_ride_min, worst: r.max_ride_min, kind: "plan",
      })),
    ], "tradeoff-chart", true);
  }

  function showVariants(table) {
    const rows = table.rows.filter((r) => !r.error);
    const change = (r) => (typeof r.change_vs_baseline_gbp === "number"
      ? (r.change_vs_baseline_gbp > 0 ? "+" : r.change_vs_baseline_gbp < 0 ? "−" : "") +
        gbp(Math.abs(r.change_vs_baseline_gbp) * 100)
      : "—");
    $("variants-table").querySelector("tbody").replaceChildren(
      ...table.rows.map((r) => el(
        "tr", {},
        el("th", { scope: "row" }, r.variant),
        el("td", { class: "num" }, r.error ? "not planned" : gbp(r.annual_cost_gbp * 100)),
        el("td", { class: "num" }, r.error ? r.error : change(r)),
        el("td", { class: "num" }, r.error ? "" : r.num_vehicles),
        el("td", { class: "num" }, r.error ? "" : `${Number(r.mean_ride_min).toFixed(1)} min`),
        el("td", { class: "num" }, r.error ? "" : `${Number(r.max_ride_min).toFixed(1)} min`),
        el("td", { class: "num" }, r.error ? "" : r.pupils_over_45_min)
      ))
    );
    $("variants-table").hidden = false;
    $("variants-figure").hidden = false;
    drawChart(rows.map((r) => ({
      name: r.variant, cost: r.annual_cost_gbp * 100, ride: r.mean_ride_min, worst: r.max_ride_min,
      kind: r.variant === "current" ? "current" : r.variant === "baseline" ? "plan" : "variant",
    })), "variants-chart");
  }

  // Every way to school: a read (no solve), rows numbered, never which pupil.
  async function loadModes(planId) {
    $("modes-status").textContent = "Pricing every way to school for each pupil…";
    const data = await api(`/plans/${planId}/modes`);
    if (state.financePlanId !== planId) return data;
    const gbpCell = (v) => el("td", { class: "num" }, v === null || v === undefined || v === "" ? "—" : gbp(Number(v) * 100));
    const words = data.mode_words;
    const label = (mode) => (mode === "cheapest" ? "each to their cheapest" : words[mode] || mode);
    $("modes-switches").querySelector("tbody").replaceChildren(
      ...data.switches.map((s) => el(
        "tr", {},
        el("th", { scope: "row" }, label(s.switch_to)),
        el("td", { class: "num" }, s.num_pupils),
        gbpCell(s.routes_saved_annual_gbp),
        gbpCell(s.new_mode_annual_gbp),
        gbpCell(s.saving_annual_gbp)
      ))
    );
    drawBars($("modes-chart"), data.switches.map((s) => ({
      name: label(s.switch_to), value: Number(s.saving_annual_gbp) * 100, note: `${s.num_pupils} pupils`,
    })));
    const first = data.switches[0];
    $("modes-assumption").textContent = first ? `Assumption: ${first.assumption}` : "";
    const top = [...data.rows]
      .sort((a, b) => Number(b.saving_annual_gbp) - Number(a.saving_annual_gbp))
      .slice(0, 25);
    $("modes-table").querySelector("tbody").replaceChildren(
      ...top.map((r) => el(
        "tr", {},
        el("td", {}, r.pupil_id),
        el("td", {}, r.school_id),
        gbpCell(r.route_place_annual_gbp),
        gbpCell(r.personal_budget_annual_gbp),
        gbpCell(r.public_transport_pass_annual_gbp),
        gbpCell(r.travel_training_annual_gbp),
        gbpCell(r.solo_taxi_annual_gbp),
        el("td", {}, words[r.cheapest_mode] || r.cheapest_mode),
        gbpCell(r.saving_annual_gbp)
      ))
    );
    const counts = Object.entries(data.cheapest_counts).map(([m, n]) => `${words[m] || m} ${n}`);
    $("modes-table-caption").textContent =
      `The ${top.length} pupils (of ${data.rows.length}) with the largest saving; a dash: not open to the pupil`;
    $("modes-status").textContent =
      `Cheapest way each pupil's needs allow: ${counts.join(", ")} (${data.school_days_per_year} school days).`;
    return data;
  }

  function drawBars(chart, bars) {
    chart.replaceChildren();
    const width = Number(chart.getAttribute("width"));
    const left = 170, right = 110, top = 10, rowH = 28;
    chart.setAttribute("height", String(top * 2 + rowH * Math.max(1, bars.length) + 20));
    const max = Math.max(1, ...bars.map((b) => Math.abs(b.value)));
    const x = (v) => left + (Math.abs(v) / max) * (width - left - right);
    bars.forEach((b, k) => {
      const y = top + k * rowH;
      chart.append(svg("text", { x: left - 6, y: y + 17, "text-anchor": "end" }, b.name));
      chart.append(svg("rect", {
        x: left, y: y + 4, width: Math.max(1, x(b.value) - left), height: rowH - 10,
        class: b.value >= 0 ? "bar-saving" : "bar-loss",
      }));
      chart.append(svg("text", { x: x(b.value) + 6, y: y + 17 }, `${b.value < 0 ? "−" : ""}${gbp(Math.abs(b.value))} (${b.note})`));
    });
  }

  function drawChart(points, chartId, asCurve) {
    const chart = $(chartId || "cost-chart");
    chart.replaceChildren();
    const width = Number(chart.getAttribute("width"));
    const height = Number(chart.getAttribute("height"));
    const left = 70, right = 20, top = 15, bottom = 45;
    const costs = points.map((p) => p.cost / 100000); // £ thousand
    const rides = points.flatMap((p) => [p.ride, p.worst]);
    const xMax = Math.max(10, ...rides) * 1.1;
    const yMax = Math.max(1, ...costs) * 1.15;
    const x = (v) => left + (v / xMax) * (width - left - right);
    const y = (v) => height - bottom - (v / yMax) * (height - top - bottom);
    for (let k = 0; k <= 4; k++) {
      const yv = (yMax * k) / 4;
      chart.append(svg("line", { x1: left, x2: width - right, y1: y(yv), y2: y(yv), class: "grid" }));
      chart.append(svg("text", { x: left - 6, y: y(yv) + 4, "text-anchor": "end" }, `£${Math.round(yv)}k`));
      const xv = (xMax * k) / 4;
      chart.append(svg("text", { x: x(xv), y: height - bottom + 16, "text-anchor": "middle" }, `${Math.round(xv)}`));
    }
    chart.append(svg("line", { x1: left, x2: left, y1: top, y2: height - bottom, class: "axis" }));
    chart.append(svg("line", { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, class: "axis" }));
    chart.append(svg("text", { x: (left + width - right) / 2, y: height - 8, "text-anchor": "middle" },
      "ride time, minutes (dot: mean, bar: longest)"));
    const current = points.find((p) => p.kind === "current");
    const plan = points.find((p) => p.kind === "plan");
    if (current && plan) {
      chart.append(svg("line", {
        x1: x(current.ride), y1: y(current.cost / 100000), x2: x(plan.ride), y2: y(plan.cost / 100000), class: "arrow",
      }));
    }
    if (asCurve) {
      const curve = points.filter((p) => p.kind === "plan");
      chart.append(svg("polyline", {
        points: curve.map((p) => `${x(p.ride)},${y(p.cost / 100000)}`).join(" "), class: "curve",
      }));
    }
    for (const p of points) {
      const cy = y(p.cost / 100000);
      chart.append(svg("line", { x1: x(p.ride), x2: x(p.worst), y1: cy, y2: cy, class: "grid" }));
      chart.append(svg("line", { x1: x(p.worst), x2: x(p.worst), y1: cy - 5, y2: cy + 5, class: "axis" }));
      chart.append(svg("circle", { cx: x(p.ride), cy, r: 6, class: `point point-${p.kind}` }));
      chart.append(svg("text", { x: x(p.ride) + 8, y: cy - 8 }, `${p.name}: ${gbp(p.cost)}`));
    }
  }

  // ------------------------------------------------------------------ school

  async function showSchool() {
    $("school").hidden = false;
    const schools = state.me.school_ids || [];
    if (!schools.length) {
      status("Your account is not linked to a school.");
      return;
    }
    optionList($("school-select"), schools.map((id) => [id, id]), schools[0]);
    $("school-select").onchange = () => loadPickups().catch((err) => status(err.message));
    $("school-run").onchange = () => loadPickups().catch((err) => status(err.message));
    await loadPickups();
  }

  async function loadPickups() {
    const schoolId = $("school-select").value;
    const run = $("school-run").value;
    const tbody = $("pickup-table").querySelector("tbody");
    tbody.replaceChildren();
    const plans = await api(`/schools/${encodeURIComponent(schoolId)}/plans`);
    if (!plans.length) {
      status("No published plan includes this school yet.");
      return;
    }
    const planId = plans[0].plan_id;
    const list = await api(
      `/schools/${encodeURIComponent(schoolId)}/pickups?plan=${planId}&run=${encodeURIComponent(run)}`
    );
    $("school-title").textContent = `Pickup list: ${schoolId}, ${run === "AM" ? "morning" : "afternoon"} (plan #${planId})`;
    $("pickup-head").textContent = run === "AM" ? "Picked up" : "Leaves school";
    $("place-head").textContent = run === "AM" ? "Picked up at" : "Set down at";
    $("arrival-head").textContent = run === "AM" ? "Arrives at school" : "Arrives home";
    const pupils = [...list.pupils].sort((a, b) => a.pickup_s - b.pickup_s || a.name.localeCompare(b.name));
    tbody.replaceChildren(
      ...pupils.map((p) =>
        el(
          "tr",
          { class: "pickup-row" },
          el("td", {}, p.name),
          el("td", {}, hhmm(p.pickup)),
          el("td", {}, hhmm(p.arrival)),
          el("td", {}, `${p.route_id} (${p.vehicle})`),
          el("td", {}, p.has_assistant ? "yes" : "no"),
          el("td", {}, p.pickup_place || "home")
        )
      )
    );
    status(pupils.length ? "" : "No pupils of this school on this run.");
  }

  // ------------------------------------------------------------------ wiring

  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut("Signed out."));
  start();
})();
