// 911 Outage Watch choropleth: a Streamlit component (protocol v1) drawn on a 2D canvas.
//
// The county and state outlines (shapes.json, pre-projected and quantized by
// webapp/shapes.py) are fetched once per page and cached by the browser; every rerun sends
// only the values per county or state, the coverage and the selection. No library, no
// tiles, no network beyond this folder.
(function () {
  "use strict";

  const canvas = document.getElementById("map");
  const ctx = canvas.getContext("2d");
  const wrap = document.getElementById("wrap");
  const tip = document.getElementById("tip");
  const legend = document.getElementById("legend");
  const statusBox = document.getElementById("status");
  const announceBox = document.getElementById("announce");

  const QUIET = "#fbfaf6";
  const BORDER = "rgba(120, 124, 130, 0.55)";
  const STATE_BORDER = "#5f636a";
  const SELECTED = "#1f6fd1";

  let shapes = null;          // the parsed shapes.json
  let shapesUrl = null;
  let layers = {};            // level -> [{id, name, state, path, bbox}]
  let args = null;            // the latest render arguments
  let view = null;            // {k, tx, ty}: screen = world * k + t
  let focusKey = null;
  let hatch = null;
  let width = 0, height = 0, dpr = 1;
  let hoverId = null;
  let keyId = null;           // the place the keyboard is on (see "keyboard" below)
  let nonce = 0;
  let lastHeight = -1;
  let drawQueued = false;

  // ------------------------------------------------------------------ Streamlit protocol
  function send(type, data) {
    window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, data), "*");
  }
  function setFrameHeight(h) {
    if (h !== lastHeight) { lastHeight = h; send("streamlit:setFrameHeight", { height: h }); }
  }
  function setValue(value) {
    send("streamlit:setComponentValue", { value: value, dataType: "json" });
  }
  window.addEventListener("message", function (event) {
    const data = event.data;
    if (!data || data.type !== "streamlit:render") return;
    document.body.dataset.msgAt = String(Date.now());
    onRender(data.args || {}, data.theme || null);
  });
  send("streamlit:componentReady", { apiVersion: 1 });

  // ------------------------------------------------------------------ shapes
  function decodeRings(rings) {
    // Delta-encoded integer rings -> one Path2D (even-odd: holes stay holes) and a bbox.
    const path = new Path2D();
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const ring of rings) {
      let x = 0, y = 0;
      for (let i = 0; i < ring.length; i += 2) {
        x += ring[i]; y += ring[i + 1];
        if (i === 0) path.moveTo(x, y); else path.lineTo(x, y);
        if (x < x0) x0 = x; if (x > x1) x1 = x;
        if (y < y0) y0 = y; if (y > y1) y1 = y;
      }
      path.closePath();
    }
    return { path: path, bbox: [x0, y0, x1, y1] };
  }

  function buildLayer(layer) {
    const features = [];
    for (let i = 0; i < layer.ids.length; i++) {
      const decoded = decodeRings(layer.rings[i]);
      features.push({
        id: layer.ids[i], name: layer.names[i], state: layer.states[i],
        path: decoded.path, bbox: decoded.bbox,
      });
    }
    return features;
  }

  // The outlines are fetched as soon as this frame loads, before Streamlit sends the first
  // arguments; the arguments name the version they expect ("shapes.json?v=VERSION"), and a
  // different version is fetched again under its own URL.
  document.body.dataset.startAt = String(Date.now());
  const early = fetchShapes("shapes.json");

  function fetchShapes(url) {
    return fetch(url, { cache: "force-cache" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); });
  }

  function useShapes(json) {
    document.body.dataset.shapesAt = String(Date.now());
    shapes = json;
    layers = { county: buildLayer(json.county), state: buildLayer(json.state) };
    statusBox.textContent = "";
    view = null;
    queueDraw();
  }

  function loadShapes(url) {
    if (shapesUrl === url) return;
    shapesUrl = url;
    const wanted = (url.split("v=")[1] || "").split("&")[0];
    if (!shapes) statusBox.textContent = "Loading the map…";
    early
      .then(function (json) {
        if (wanted && json.version !== wanted) return fetchShapes(url);
        return json;
      }, function () { return fetchShapes(url); })
      .then(function (json) { if (!shapes || shapes.version !== json.version) useShapes(json); })
      .catch(function (err) { statusBox.textContent = "The map outlines could not be loaded: " + err; });
  }

  // ------------------------------------------------------------------ render
  function onRender(newArgs, theme) {
    args = newArgs;
    document.body.classList.toggle("dark", !!(theme && theme.base === "dark"));
    if (args.shapes) loadShapes(args.shapes);
    const newFocus = JSON.stringify(args.focus || null);
    if (newFocus !== focusKey) { focusKey = newFocus; view = null; }
    renderLegend();
    labelFrame();
    resize();
  }

  // The frame's title (Streamlit titles it with the component's module path) and the map's
  // own label, for screen readers. The frame is same-origin (served by the Streamlit server).
  function labelFrame() {
    const title = args.frame_title || ("Map: " + (args.legend_title || "911 outages"));
    try {
      if (window.frameElement && window.frameElement.title !== title) {
        window.frameElement.title = title;
      }
    } catch (err) { /* a cross-origin host: keep its title */ }
    const count = Object.keys(args.values || {}).length;
    const noun = args.level === "state" ? (count === 1 ? "state" : "states")
      : (count === 1 ? "county" : "counties");
    canvas.setAttribute("aria-label", title + ". " + count + " " + noun + " with a value." +
      (args.selected ? " Selected: " + placeText(featureById(args.selected)) + "." : ""));
  }

  function resize() {
    const w = Math.max(wrap.clientWidth || window.innerWidth || 300, 200);
    const maxH = (args && args.height) || 520;
    const h = Math.round(Math.min(maxH, Math.max(220, w * 0.78 + (w <= 520 ? 34 : 0))));
    dpr = window.devicePixelRatio || 1;
    if (w !== width || h !== height || canvas.width !== Math.round(w * dpr)) {
      width = w; height = h;
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.height = h + "px";
      if (view && view.fitted) view = null;
    }
    queueDraw();
    setFrameHeight(Math.ceil(document.body.scrollHeight || h + legend.offsetHeight + 8));
  }
  window.addEventListener("resize", resize);

  function queueDraw() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(function () { drawQueued = false; draw(); });
  }

  function fit(bbox, pad) {
    // On a narrow screen the zoom buttons sit in a row at the top: keep the map below them.
    const top = width <= 520 ? 34 : 0;
    const bw = Math.max(bbox[2] - bbox[0], 1), bh = Math.max(bbox[3] - bbox[1], 1);
    const k = Math.min((width - 2 * pad) / bw, (height - top - 2 * pad) / bh);
    return {
      k: k, tx: (width - bw * k) / 2 - bbox[0] * k,
      ty: top + (height - top - bh * k) / 2 - bbox[1] * k,
      fitted: true,
    };
  }

  function homeView() {
    if (args && args.focus && args.focus.length) {
      const level = layers[args.level] || layers.county;
      const wanted = new Set(args.focus);
      let box = [Infinity, Infinity, -Infinity, -Infinity];
      for (const f of level) {
        if (!wanted.has(f.id)) continue;
        box = [Math.min(box[0], f.bbox[0]), Math.min(box[1], f.bbox[1]),
               Math.max(box[2], f.bbox[2]), Math.max(box[3], f.bbox[3])];
      }
      if (isFinite(box[0])) {
        // Never closer than a few counties: pad small areas out to ~250 km.
        const minSpan = 1000;
        const cx = (box[0] + box[2]) / 2, cy = (box[1] + box[3]) / 2;
        const half = Math.max((box[2] - box[0]) / 2, minSpan / 2);
        const halfY = Math.max((box[3] - box[1]) / 2, minSpan / 3);
        return fit([cx - half, cy - halfY, cx + half, cy + halfY], 16);
      }
    }
    const whole = shapes.view.slice();
    return fit(whole, 6);
  }

  function colorFor(value) {
    const breaks = args.breaks || [];
    const colors = args.colors || [];
    for (let i = 0; i < breaks.length; i++) {
      if (value <= breaks[i]) return colors[Math.min(i, colors.length - 1)];
    }
    return colors[colors.length - 1];
  }

  function coverageTest() {
    const cov = args.coverage;
    if (!cov) return function () { return true; };
    if (cov.covered) { const s = new Set(cov.covered); return function (id) { return s.has(id); }; }
    const s = new Set(cov.uncovered || []);
    return function (id) { return !s.has(id); };
  }

  function hatchPattern() {
    if (hatch) return hatch;
    const c = document.createElement("canvas");
    const n = Math.round(6 * dpr);
    c.width = n; c.height = n;
    const g = c.getContext("2d");
    // Dark enough lines that "no coverage" reads as a texture, not a shade: it must differ
    // from the flat fills without colour (in greyscale, or to a colour-blind reader).
    g.fillStyle = "#f1f2f3"; g.fillRect(0, 0, n, n);
    g.strokeStyle = "#a0a6ad"; g.lineWidth = Math.max(1, dpr);
    g.beginPath(); g.moveTo(0, n); g.lineTo(n, 0); g.moveTo(-n / 2, n / 2); g.lineTo(n / 2, -n / 2);
    g.moveTo(n / 2, n * 1.5); g.lineTo(n * 1.5, n / 2); g.stroke();
    hatch = ctx.createPattern(c, "repeat");
    return hatch;
  }

  function draw() {
    if (!args) return;
    const t0 = performance.now();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!shapes) return;
    if (!view) { view = homeView(); view.k0 = view.k * 0.6; }
    const level = args.level === "state" ? "state" : "county";
    const features = layers[level];
    const values = args.values || {};
    const covered = coverageTest();
    const k = view.k;
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * view.tx, dpr * view.ty);
    const x0 = -view.tx / k, y0 = -view.ty / k, x1 = (width - view.tx) / k, y1 = (height - view.ty) / k;
    const pattern = hatchPattern();
    // The hatch is drawn in screen space: undo the world transform for the pattern.
    if (pattern.setTransform) pattern.setTransform(new DOMMatrix([1 / (dpr * k), 0, 0, 1 / (dpr * k), -view.tx / k, -view.ty / k]));
    const visible = [];
    for (const f of features) {
      const b = f.bbox;
      if (b[2] < x0 || b[0] > x1 || b[3] < y0 || b[1] > y1) continue;
      visible.push(f);
      const v = values[f.id];
      if (v !== undefined && v !== null && v > 0) ctx.fillStyle = colorFor(v);
      else if (covered(f.id)) ctx.fillStyle = QUIET;
      else ctx.fillStyle = pattern;
      ctx.fill(f.path, "evenodd");
    }
    ctx.lineJoin = "round";
    ctx.strokeStyle = BORDER;
    // Thinner county lines when thousands of them share a small screen (a phone).
    ctx.lineWidth = (level === "county" ? Math.min(0.6, Math.max(0.25, width / 2000)) : 0.8) / k;
    for (const f of visible) ctx.stroke(f.path);
    if (level === "county") {
      ctx.strokeStyle = STATE_BORDER;
      ctx.lineWidth = 1.1 / k;
      for (const f of layers.state) ctx.stroke(f.path);
    }
    // Inset frames (Alaska, Hawaii, territories).
    ctx.strokeStyle = "rgba(95, 99, 106, 0.5)";
    ctx.lineWidth = 0.8 / k;
    ctx.setLineDash([4 / k, 3 / k]);
    for (const inset of shapes.insets || []) {
      const b = inset.box;
      ctx.strokeRect(b[0], b[1], b[2] - b[0], b[3] - b[1]);
    }
    ctx.setLineDash([]);
    const selected = args.selected;
    if (selected) {
      const f = features.find(function (g) { return g.id === selected; });
      if (f) { ctx.strokeStyle = SELECTED; ctx.lineWidth = 2.6 / k; ctx.stroke(f.path); }
    }
    if (keyId && document.activeElement === canvas) {
      // The keyboard's place: a white halo under a dark dashed line, visible on every fill.
      const f = features.find(function (g) { return g.id === keyId; });
      if (f) {
        ctx.strokeStyle = "#ffffff"; ctx.lineWidth = 4.5 / k; ctx.stroke(f.path);
        ctx.strokeStyle = "#111318"; ctx.lineWidth = 2.2 / k;
        ctx.setLineDash([5 / k, 3 / k]); ctx.stroke(f.path); ctx.setLineDash([]);
      }
    }
    if (hoverId && hoverId !== selected) {
      const f = features.find(function (g) { return g.id === hoverId; });
      if (f) { ctx.strokeStyle = "#111"; ctx.lineWidth = 1.6 / k; ctx.stroke(f.path); }
    }
    document.body.dataset.drawMs = String(Math.round(performance.now() - t0));
    document.body.dataset.drawAt = String(Date.now());
    document.body.dataset.stamp = args.stamp || "";
    document.body.dataset.drawn = String((Number(document.body.dataset.drawn) || 0) + 1);
  }

  // ------------------------------------------------------------------ legend
  function esc(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  function renderLegend() {
    const breaks = args.breaks || [];
    const colors = args.colors || [];
    const labels = args.break_labels || breaks.map(String);
    let html = '<span class="title">' + esc(args.legend_title || "") + "</span>";
    if (breaks.length) {
      html += '<span class="scale">';
      for (let i = 0; i < breaks.length; i++) {
        html += '<span class="step"><i style="background:' + colors[Math.min(i, colors.length - 1)] +
          '"></i><span>' + esc(labels[i]) + "</span></span>";
      }
      html += "</span>";
    }
    html += '<span class="key"><i class="quiet"></i>' + esc(args.quiet_label || "no outage reported") + "</span>";
    if (args.coverage) {
      html += '<span class="key"><i class="blind"></i>' + esc(args.blind_label || "no source coverage") + "</span>";
    }
    if (args.selected) html += '<span class="key"><i class="selected"></i>selected</span>';
    legend.innerHTML = html;
  }

  // ------------------------------------------------------------------ interaction
  function featureAt(px, py) {
    if (!shapes || !view || !args) return null;
    const level = args.level === "state" ? "state" : "county";
    const wx = (px - view.tx) / view.k, wy = (py - view.ty) / view.k;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    for (const f of layers[level]) {
      const b = f.bbox;
      if (wx < b[0] || wx > b[2] || wy < b[1] || wy > b[3]) continue;
      if (ctx.isPointInPath(f.path, wx, wy, "evenodd")) return f;
    }
    return null;
  }

  function formatValue(v) {
    if (v === undefined || v === null) return null;
    let unit = args.value_unit || "";
    // "1 outage", not "1 outages" (the units are plural nouns: outages, sources, reports).
    if (v === 1 && /[a-z]s$/.test(unit)) unit = unit.slice(0, -1);
    const text = Number.isInteger(v) ? v.toLocaleString("en-US")
      : v.toLocaleString("en-US", { maximumFractionDigits: 1 });
    return text + (unit ? " " + unit : "");
  }

  function placeName(f) {
    return args.level === "state" ? f.name : f.name + ", " + f.state;
  }

  // A place's state in words, the same in the tooltip and for screen readers:
  // its value, or "covered, no outage reported", or "no source coverage".
  function stateLine(f) {
    const v = (args.values || {})[f.id];
    if (v !== undefined && v !== null && v > 0) {
      return args.value_unit ? formatValue(v) : (args.legend_title || "value") + ": " + formatValue(v);
    }
    if (coverageTest()(f.id)) return args.quiet_label || "no outage reported";
    return args.blind_label || "no source coverage";
  }

  function placeText(f) {
    return f ? placeName(f) + ": " + stateLine(f) : "";
  }

  function featureById(id) {
    const level = args && args.level === "state" ? "state" : "county";
    return (layers[level] || []).find(function (g) { return g.id === id; }) || null;
  }

  function showTip(f, px, py) {
    if (!f) { tip.hidden = true; return; }
    const line = stateLine(f);
    const place = placeName(f);
    tip.innerHTML = "<b>" + esc(place) + "</b><br>" + esc(line) +
      (args.select_hint ? '<br><span style="color:#6b7079">' + esc(args.select_hint) + "</span>" : "");
    tip.hidden = false;
    const tw = tip.offsetWidth, th = tip.offsetHeight;
    let left = px + 14, top = py + 14;
    if (left + tw > width - 4) left = px - tw - 14;
    if (top + th > height - 4) top = py - th - 14;
    tip.style.left = Math.max(4, left) + "px";
    tip.style.top = Math.max(4, top) + "px";
  }

  function zoomAt(factor, px, py) {
    if (!view) return;
    const k = Math.min(Math.max(view.k * factor, view.k0 || 1e-9), 1e3);
    const f = k / view.k;
    view = { k: k, tx: px - (px - view.tx) * f, ty: py - (py - view.ty) * f, k0: view.k0 };
    queueDraw();
  }

  function localPoint(ev) {
    const r = canvas.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  }

  const pointers = new Map();
  let drag = null, moved = 0, pinch = null;

  canvas.addEventListener("pointerdown", function (ev) {
    canvas.setPointerCapture(ev.pointerId);
    pointers.set(ev.pointerId, localPoint(ev));
    moved = 0;
    if (pointers.size === 1) {
      const p = localPoint(ev);
      drag = { x: p[0], y: p[1], tx: view ? view.tx : 0, ty: view ? view.ty : 0 };
    } else if (pointers.size === 2) {
      const pts = Array.from(pointers.values());
      pinch = { d: Math.hypot(pts[0][0] - pts[1][0], pts[0][1] - pts[1][1]), k: view.k };
      drag = null;
    }
  });
  canvas.addEventListener("pointermove", function (ev) {
    const p = localPoint(ev);
    if (pointers.has(ev.pointerId)) pointers.set(ev.pointerId, p);
    if (pinch && pointers.size === 2) {
      const pts = Array.from(pointers.values());
      const d = Math.hypot(pts[0][0] - pts[1][0], pts[0][1] - pts[1][1]);
      const cx = (pts[0][0] + pts[1][0]) / 2, cy = (pts[0][1] + pts[1][1]) / 2;
      zoomAt((pinch.k * d / pinch.d) / view.k, cx, cy);
      moved += 10;
      return;
    }
    if (drag && view) {
      const dx = p[0] - drag.x, dy = p[1] - drag.y;
      moved = Math.max(moved, Math.abs(dx) + Math.abs(dy));
      if (moved > 4) {
        canvas.classList.add("dragging");
        view = { k: view.k, tx: drag.tx + dx, ty: drag.ty + dy, k0: view.k0 };
        tip.hidden = true;
        queueDraw();
        return;
      }
    }
    if (ev.pointerType === "mouse") {
      const f = featureAt(p[0], p[1]);
      const id = f ? f.id : null;
      if (id !== hoverId) { hoverId = id; queueDraw(); }
      showTip(f, p[0], p[1]);
    }
  });
  function endPointer(ev) {
    const wasDrag = moved > 4;
    pointers.delete(ev.pointerId);
    if (pointers.size < 2) pinch = null;
    canvas.classList.remove("dragging");
    if (pointers.size === 0) {
      drag = null;
      if (!wasDrag && ev.type === "pointerup" && args && args.selectable) {
        const p = localPoint(ev);
        const f = featureAt(p[0], p[1]);
        if (ev.pointerType !== "mouse") showTip(f, p[0], p[1]);
        choose(f ? f.id : null);
      }
    }
  }
  canvas.addEventListener("pointerup", endPointer);
  canvas.addEventListener("pointercancel", endPointer);
  canvas.addEventListener("pointerleave", function () {
    if (hoverId) { hoverId = null; queueDraw(); }
    tip.hidden = true;
  });
  canvas.addEventListener("wheel", function (ev) {
    if (!ev.ctrlKey && !ev.metaKey && !args.wheel_zoom) return;  // let the page scroll
    ev.preventDefault();
    const p = localPoint(ev);
    zoomAt(Math.exp(-ev.deltaY * 0.002), p[0], p[1]);
  }, { passive: false });
  // A click, or Enter on the keyboard's place: select it (or unselect the selected one).
  function choose(id) {
    if (!args || !args.selectable) return;
    const level = args.level === "state" ? "state" : "county";
    if (id !== null || args.selected) {
      nonce += 1;
      setValue({ id: id === args.selected ? null : id, level: level, nonce: nonce });
    }
  }

  // ------------------------------------------------------------------ keyboard
  // The canvas is one tab stop. On it, the arrow keys move to the nearest place in that
  // direction, Page Down/Up step through the places with a value (highest first), Enter or
  // Space selects, Escape unselects, + and - zoom, 0 shows everything. Each move is said in
  // words through the live region (#announce) and outlined on the map.
  function centre(f) { return [(f.bbox[0] + f.bbox[2]) / 2, (f.bbox[1] + f.bbox[3]) / 2]; }

  function ranked() {
    const values = args.values || {};
    const level = args.level === "state" ? "state" : "county";
    return (layers[level] || []).filter(function (f) { return values[f.id] > 0; })
      .sort(function (a, b) {
        return (values[b.id] - values[a.id]) || placeName(a).localeCompare(placeName(b));
      });
  }

  function startPlace() {
    const chosen = args.selected && featureById(args.selected);
    if (chosen) return chosen;
    const top = ranked()[0];
    if (top) return top;
    // No values: the place nearest the middle of the view.
    const level = args.level === "state" ? "state" : "county";
    const mx = (width / 2 - view.tx) / view.k, my = (height / 2 - view.ty) / view.k;
    let best = null, bestD = Infinity;
    for (const f of layers[level] || []) {
      const c = centre(f), d = Math.hypot(c[0] - mx, c[1] - my);
      if (d < bestD) { best = f; bestD = d; }
    }
    return best;
  }

  function neighbour(from, dx, dy) {
    // The nearest place whose centre lies in the direction (dx, dy), straying sideways
    // counting double, so that "right" stays on the same row of counties.
    const level = args.level === "state" ? "state" : "county";
    const c = centre(from);
    let best = null, bestScore = Infinity;
    for (const f of layers[level] || []) {
      if (f === from) continue;
      const o = centre(f);
      const along = (o[0] - c[0]) * dx + (o[1] - c[1]) * dy;
      if (along <= 0) continue;
      const across = Math.abs((o[0] - c[0]) * dy - (o[1] - c[1]) * dx);
      if (across > along * 2) continue;
      const score = along + 2 * across;
      if (score < bestScore) { best = f; bestScore = score; }
    }
    return best;
  }

  function moveTo(f) {
    if (!f) return;
    keyId = f.id;
    const p = pointIn(f);
    if (p && (p[0] < 0 || p[0] > width || p[1] < 0 || p[1] > height)) {
      // Off screen (zoomed in): bring it to the middle.
      const c = centre(f);
      view = { k: view.k, tx: width / 2 - c[0] * view.k, ty: height / 2 - c[1] * view.k, k0: view.k0 };
    }
    const q = pointIn(f);
    if (q) showTip(f, q[0], q[1]);
    announceBox.textContent = placeText(f) + (f.id === args.selected ? " (selected)" : "");
    canvas.dataset.keyPlace = f.id;
    queueDraw();
  }

  canvas.addEventListener("focus", function () {
    if (!shapes || !view || !args) return;
    const f = (keyId && featureById(keyId)) || startPlace();
    moveTo(f);
  });
  canvas.addEventListener("blur", function () { tip.hidden = true; queueDraw(); });
  canvas.addEventListener("keydown", function (ev) {
    if (!shapes || !view || !args || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const current = (keyId && featureById(keyId)) || startPlace();
    const steps = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    let handled = true;
    if (steps[ev.key]) {
      moveTo(neighbour(current, steps[ev.key][0], steps[ev.key][1]) || current);
    } else if (ev.key === "PageDown" || ev.key === "PageUp") {
      const list = ranked();
      if (list.length) {
        const i = list.indexOf(current);
        const next = ev.key === "PageDown" ? (i + 1) % list.length
          : (i <= 0 ? list.length - 1 : i - 1);
        moveTo(list[next]);
      }
    } else if (ev.key === "Enter" || ev.key === " ") {
      if (current) choose(current.id);
    } else if (ev.key === "Escape") {
      if (args.selected) choose(null); else handled = false;
    } else if (ev.key === "+" || ev.key === "=") {
      const p = current && pointIn(current);
      zoomAt(1.6, p ? p[0] : width / 2, p ? p[1] : height / 2);
      if (current) moveTo(current);
    } else if (ev.key === "-" || ev.key === "_") {
      zoomAt(1 / 1.6, width / 2, height / 2);
      if (current) moveTo(current);
    } else if (ev.key === "0") {
      view = null; queueDraw();
    } else {
      handled = false;
    }
    if (handled) ev.preventDefault();
  });

  // A point inside a place, in this frame's CSS pixels.
  function pointIn(f) {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    const b = f.bbox;
    for (let n = 1; n <= 8; n++) {
      for (let i = 0; i <= n; i++) {
        for (let j = 0; j <= n; j++) {
          const wx = b[0] + (b[2] - b[0]) * (i + 0.5) / (n + 1);
          const wy = b[1] + (b[3] - b[1]) * (j + 0.5) / (n + 1);
          if (ctx.isPointInPath(f.path, wx, wy, "evenodd")) {
            return [wx * view.k + view.tx, wy * view.k + view.ty];
          }
        }
      }
    }
    return null;
  }

  // For tests and benchmarks.
  window.choropleth = {
    pointOf: function (id) {
      if (!shapes || !view || !args) return null;
      const f = featureById(id);
      return f ? pointIn(f) : null;
    },
    ready: function () { return !!(shapes && view); },
  };

  document.getElementById("zoom-in").addEventListener("click", function () { zoomAt(1.6, width / 2, height / 2); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoomAt(1 / 1.6, width / 2, height / 2); });
  document.getElementById("zoom-reset").addEventListener("click", function () { view = null; queueDraw(); });
})();
