// logsvc's web viewer: one plain ES module, no framework, no build step (what
// is committed is what runs; the server embeds it, see src/api/web_assets.h).
// It talks to this origin's API only: GET /logs (search, with cursors),
// GET /logs/stats (the plot and the severity counts), GET /logs/tail (live).

const SEVERITIES = ["trace", "debug", "info", "warning", "error", "fatal"];
const RANGES = { "15m": 15 * 60e3, "1h": 3600e3, "24h": 24 * 3600e3, "7d": 7 * 24 * 3600e3 };
const PAGE = 200;       // entries a search request
const OVERSCAN = 10;    // rows drawn above and below the visible ones
const KEY_STORE = "logsvc-key";

const $ = (id) => document.getElementById(id);

// What is shown; the URL holds it (readUrl / writeUrl).
const state = {
  q: "",
  severities: new Set(SEVERITIES),
  range: "1h",
  from: null,  // ms, when range is "custom"
  to: null,
  attrs: [],   // [key, value] filters
  live: false,
};

let apiKey = sessionStorage.getItem(KEY_STORE) || "";
let entries = [];        // newest first
let next = null;         // the search's cursor, null at the end
let loading = false;
let generation = 0;      // bumped by each new query: late answers of old ones are dropped
let rowHeight = 28;
let bounds = { from: 0, to: 0 };  // the time range of the current query, ms
let tail = null;         // { controller, paused, buffered: [] } while live
let total = null;        // entries matching, from the stats (null until they come)

// ---- The URL --------------------------------------------------------------

function readUrl() {
  const p = new URLSearchParams(location.search);
  state.q = p.get("q") || "";
  const sev = p.get("severity");
  state.severities = new Set(sev ? sev.split(",").filter((s) => SEVERITIES.includes(s)) : SEVERITIES);
  state.range = p.get("range") || "1h";
  state.from = p.has("from") ? Number(p.get("from")) : null;
  state.to = p.has("to") ? Number(p.get("to")) : null;
  if (state.range === "custom" && (!Number.isFinite(state.from) || !Number.isFinite(state.to))) {
    state.range = "1h";
  }
  state.attrs = [];
  for (const [k, v] of p) if (k.startsWith("attr.")) state.attrs.push([k.slice(5), v]);
  state.live = p.get("live") === "1";
}

function writeUrl() {
  const p = new URLSearchParams();
  if (state.q) p.set("q", state.q);
  if (state.severities.size < SEVERITIES.length) p.set("severity", [...state.severities].join(","));
  p.set("range", state.range);
  if (state.range === "custom") {
    p.set("from", String(state.from));
    p.set("to", String(state.to));
  }
  for (const [k, v] of state.attrs) p.append("attr." + k, v);
  if (state.live) p.set("live", "1");
  history.replaceState(null, "", "?" + p.toString());
}

// The API's parameters of the current filters (without the time range).
function filterParams({ withSeverity = true } = {}) {
  const p = new URLSearchParams();
  if (state.q) p.set("q", state.q);
  if (withSeverity && state.severities.size < SEVERITIES.length) {
    p.set("severity", state.severities.size ? [...state.severities].join(",") : "none");
  }
  for (const [k, v] of state.attrs) p.append("attr." + k, v);
  return p;
}

function timeBounds() {
  if (state.range === "custom") return { from: state.from, to: state.to };
  const to = Date.now() + 1;  // this millisecond included
  return { from: to - RANGES[state.range], to };
}

// ---- The API ----------------------------------------------------------------

function headers() {
  return apiKey ? { Authorization: "Bearer " + apiKey } : {};
}

// GET a JSON reply; asks for a key on 401 and tries again with it.
async function api(path, signal) {
  for (;;) {
    const r = await fetch(path, { headers: headers(), signal });
    if (r.status === 401) {
      await askForKey(apiKey ? "That key was not accepted." : "");
      continue;
    }
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.error || "HTTP " + r.status);
    return body;
  }
}

let keyWaiters = null;
function askForKey(message) {
  if (!keyWaiters) {
    keyWaiters = [];
    $("key-error").textContent = message;
    $("key").value = "";
    $("key-dialog").showModal();
  }
  return new Promise((resolve) => keyWaiters.push(resolve));
}

$("key-form").addEventListener("submit", () => {
  apiKey = $("key").value.trim();
  sessionStorage.setItem(KEY_STORE, apiKey);  // this tab only
  const waiters = keyWaiters || [];
  keyWaiters = null;
  for (const w of waiters) w();
});

// ---- Loading --------------------------------------------------------------------

function setStatus(text) {
  $("status").textContent = text;
}

// "200 of 1000 entries": loaded, and matching in the range (from the stats).
function showCount(extra = "") {
  const of = total === null ? (next ? "+" : "") : " of " + total;
  setStatus(entries.length + of + " entries" + extra);
}

async function refresh() {
  const gen = ++generation;
  writeUrl();
  bounds = timeBounds();
  entries = [];
  next = null;
  total = null;
  loading = false;
  $("results").scrollTop = 0;
  render();
  setStatus("Searching…");
  await Promise.all([loadStats(gen), loadPage(gen, true)]);
  if (state.live) startTail();
}

async function loadPage(gen, first = false) {
  if (loading || (!first && !next) || gen !== generation) return;
  loading = true;
  try {
    let path;
    if (first) {
      const p = filterParams();
      p.set("from", String(bounds.from));
      p.set("to", String(bounds.to));
      p.set("limit", String(PAGE));
      path = "/logs?" + p;
    } else {
      path = "/logs?" + new URLSearchParams({ cursor: next, limit: String(PAGE) });
    }
    const body = await api(path);
    if (gen !== generation) return;
    entries.push(...body.logs);
    next = body.next;
    if (first && !window.__logsvcFirstRender) {
      render();
      window.__logsvcFirstRender = performance.now();  // measured by the browser test
    }
    showCount();
  } catch (e) {
    if (gen === generation) setStatus("Search failed: " + e.message);
    return;
  } finally {
    if (gen === generation) loading = false;
  }
  render();
  // A page may come back short (the server's budget): fill the view.
  if (next && entries.length < visibleRows() * 2) loadPage(gen);
}

async function loadStats(gen) {
  const p = filterParams({ withSeverity: false });  // the toggles show every severity's count
  p.set("from", String(bounds.from));
  p.set("to", String(bounds.to));
  let buckets = null, step = 0;
  try {
    let path = "/logs/stats?" + p;
    for (let pages = 0; path && pages < 20; pages++) {  // a large range comes in parts
      const body = await api(path);
      if (gen !== generation) return;
      step = body.step;
      if (!buckets) {
        buckets = body.buckets.map((b) => ({ start: b.start, severity: { ...b.severity } }));
      } else {
        body.buckets.forEach((b, i) => {
          for (const s in b.severity) buckets[i].severity[s] = (buckets[i].severity[s] || 0) + b.severity[s];
        });
      }
      path = body.next ? "/logs/stats?" + new URLSearchParams({ cursor: body.next }) : null;
    }
  } catch (e) {
    setStatus("Counting failed: " + e.message);
    return;
  }
  drawSeverityToggles(buckets);
  drawPlot(buckets || [], step);
  total = 0;
  for (const b of buckets || []) for (const s of state.severities) total += b.severity[s] || 0;
  if (entries.length || !loading) showCount();
}

// ---- Severity toggles and attribute filters ------------------------------------

function drawSeverityToggles(buckets) {
  const totals = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  for (const b of buckets || []) for (const s in b.severity) totals[s] = (totals[s] || 0) + b.severity[s];
  const box = $("severities");
  box.replaceChildren();
  for (const s of SEVERITIES) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "sev-toggle " + s;
    b.dataset.severity = s;
    b.setAttribute("aria-pressed", String(state.severities.has(s)));
    b.textContent = s + " " + totals[s].toLocaleString();
    b.addEventListener("click", () => {
      if (state.severities.has(s)) state.severities.delete(s); else state.severities.add(s);
      refresh();
    });
    box.append(b);
  }
}

function drawAttrFilters() {
  const box = $("attr-filters");
  box.replaceChildren();
  state.attrs.forEach(([k, v], i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "chip";
    b.textContent = k + "=" + v + " ×";
    b.setAttribute("aria-label", "Remove the filter " + k + "=" + v);
    b.addEventListener("click", () => {
      state.attrs.splice(i, 1);
      drawAttrFilters();
      refresh();
    });
    box.append(b);
  });
}

// ---- The plot: stacked bars by severity, drag to zoom ----------------------------

const SVG = "http://www.w3.org/2000/svg";
let plotBuckets = [], plotStep = 0;

function drawPlot(buckets, step) {
  plotBuckets = buckets;
  plotStep = step;
  const svg = $("plot");
  const w = svg.clientWidth || 600, h = svg.clientHeight || 90;
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.replaceChildren();
  const shown = SEVERITIES.filter((s) => state.severities.has(s));
  let max = 1;
  for (const b of buckets) max = Math.max(max, shown.reduce((n, s) => n + (b.severity[s] || 0), 0));
  const bw = w / Math.max(1, buckets.length);
  buckets.forEach((b, i) => {
    let y = h;
    for (const s of shown) {
      const n = b.severity[s] || 0;
      if (!n) continue;
      const bh = (n / max) * (h - 4);
      const r = document.createElementNS(SVG, "rect");
      r.setAttribute("x", String(i * bw + 0.5));
      r.setAttribute("width", String(Math.max(1, bw - 1)));
      r.setAttribute("y", String(y - bh));
      r.setAttribute("height", String(bh));
      r.setAttribute("class", s);
      const t = document.createElementNS(SVG, "title");
      t.textContent = `${new Date(b.start).toLocaleString()}: ${n} ${s}`;
      r.append(t);
      svg.append(r);
      y -= bh;
    }
  });
  const total = buckets.reduce((n, b) => n + shown.reduce((m, s) => m + (b.severity[s] || 0), 0), 0);
  $("plot-caption").textContent =
    `${total.toLocaleString()} entries from ${new Date(bounds.from).toLocaleString()} ` +
    `to ${new Date(bounds.to).toLocaleString()}, ${step / 1000} s a bar; drag to zoom`;
}

function plotTime(x) {
  const svg = $("plot");
  const w = svg.clientWidth || 1;
  const frac = Math.min(1, Math.max(0, x / w));
  return Math.round(bounds.from + frac * (bounds.to - bounds.from));
}

(function plotZoom() {
  const svg = $("plot");
  let startX = null, sel = null;
  const xOf = (e) => e.clientX - svg.getBoundingClientRect().left;
  svg.addEventListener("pointerdown", (e) => {
    startX = xOf(e);
    svg.setPointerCapture(e.pointerId);
    sel = document.createElementNS(SVG, "rect");
    sel.setAttribute("class", "selection");
    sel.setAttribute("y", "0");
    sel.setAttribute("height", String(svg.clientHeight));
    svg.append(sel);
  });
  svg.addEventListener("pointermove", (e) => {
    if (startX === null) return;
    const x = xOf(e);
    sel.setAttribute("x", String(Math.min(x, startX)));
    sel.setAttribute("width", String(Math.abs(x - startX)));
  });
  svg.addEventListener("pointerup", (e) => {
    if (startX === null) return;
    const x = xOf(e), a = Math.min(x, startX), b = Math.max(x, startX);
    startX = null;
    sel.remove();
    if (b - a < 3) return;  // a click, not a drag
    state.range = "custom";
    state.from = plotTime(a);
    state.to = Math.max(state.from + 1, plotTime(b));
    syncRangeControls();
    refresh();
  });
})();

// ---- The results: only the visible rows are in the document ----------------------

function visibleRows() {
  return Math.ceil(($("results").clientHeight || 600) / rowHeight);
}

const pool = [];  // row elements, reused

function render() {
  const box = $("results");
  $("spacer").style.height = entries.length * rowHeight + "px";
  const first = Math.max(0, Math.floor(box.scrollTop / rowHeight) - OVERSCAN);
  const last = Math.min(entries.length, first + visibleRows() + 2 * OVERSCAN);
  const needed = last - first;
  while (pool.length < needed) {
    const row = document.createElement("div");
    row.className = "row";
    row.setAttribute("role", "listitem");
    row.tabIndex = 0;
    row.innerHTML = '<span class="time"></span><span class="sev"></span><span class="msg"></span>';
    row.addEventListener("click", () => showDetail(entries[Number(row.dataset.index)]));
    row.addEventListener("keydown", (e) => {
      if (e.key === "Enter") showDetail(entries[Number(row.dataset.index)]);
    });
    pool.push(row);
    box.append(row);
  }
  pool.forEach((row, i) => {
    const index = first + i;
    if (index >= last) {
      row.hidden = true;
      return;
    }
    const e = entries[index];
    row.hidden = false;
    row.dataset.index = String(index);
    row.style.top = index * rowHeight + "px";
    const [time, sev, msg] = row.children;
    time.textContent = localTime(e.timestamp);
    time.title = e.datetime + " (UTC)";
    sev.textContent = e.severity;
    sev.className = "sev " + e.severity;
    msg.textContent = e.message;
  });
  if (next && !loading && last > entries.length - OVERSCAN * 3) loadPage(generation);
}

function localTime(ms) {
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

let scheduled = false;
$("results").addEventListener("scroll", () => {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    render();
  });
});
window.addEventListener("resize", () => {
  render();
  drawPlot(plotBuckets, plotStep);
});

// ---- One entry in full ------------------------------------------------------------

function showDetail(e) {
  if (!e) return;
  const dl = $("detail-fields");
  dl.replaceChildren();
  const add = (name, value) => {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    if (value instanceof Node) dd.append(value); else dd.textContent = value;
    dl.append(dt, dd);
  };
  add("logId", e.logId);
  add("time", localTime(e.timestamp) + " (" + e.datetime + " UTC)");
  add("timestamp", String(e.timestamp));
  add("severity", e.severity);
  add("message", e.message);
  for (const [k, v] of Object.entries(e.attributes || {})) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "attr";
    b.textContent = v;
    b.title = "Show only entries with " + k + "=" + v;
    b.addEventListener("click", () => {
      if (!state.attrs.some(([a, x]) => a === k && x === v)) state.attrs.push([k, v]);
      drawAttrFilters();
      hideDetail();
      refresh();
    });
    add(k, b);
  }
  $("copy-id").onclick = () => navigator.clipboard?.writeText(e.logId).then(
    () => setStatus("Copied " + e.logId), () => setStatus(e.logId));
  $("detail").hidden = false;
  $("detail-close").focus();
}

function hideDetail() {
  $("detail").hidden = true;
}
$("detail-close").addEventListener("click", hideDetail);

// ---- Live: the tail stream ---------------------------------------------------------

function startTail() {
  stopTail();
  const controller = new AbortController();
  tail = { controller, paused: $("pause").getAttribute("aria-pressed") === "true", buffered: [], lastId: "" };
  const mine = tail;
  const connect = async () => {
    while (tail === mine) {
      try {
        const h = headers();
        if (mine.lastId) h["Last-Event-ID"] = mine.lastId;
        const r = await fetch("/logs/tail?" + filterParams(), { headers: h, signal: controller.signal });
        if (r.status === 401) {
          await askForKey("");
          continue;
        }
        if (!r.ok) throw new Error("HTTP " + r.status);
        await readEvents(r.body, mine);
      } catch (e) {
        if (controller.signal.aborted) return;
      }
      await new Promise((ok) => setTimeout(ok, 1000));  // then again, from the last event
    }
  };
  connect();
}

// Server-Sent Events over fetch (EventSource cannot send the key).
async function readEvents(body, mine) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "", data = [], id = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, "");
      buf = buf.slice(nl + 1);
      if (line === "") {
        if (id !== null) mine.lastId = id;
        if (data.length) arrived(JSON.parse(data.join("\n")), mine);
        data = [];
        id = null;
      } else if (line.startsWith("data:")) {
        data.push(line.slice(5).replace(/^ /, ""));
      } else if (line.startsWith("id:")) {
        id = line.slice(3).replace(/^ /, "");
      }
    }
  }
}

function arrived(entry, mine) {
  if (tail !== mine || !entry.logId) return;
  if (mine.paused) {
    mine.buffered.push(entry);
    $("pause").textContent = `Paused: ${mine.buffered.length} new`;
    return;
  }
  entries.unshift(entry);
  if (total !== null) total++;
  showCount(", following");
  render();
}

function stopTail() {
  if (tail) tail.controller.abort();
  tail = null;
}

$("live").addEventListener("click", () => {
  state.live = !state.live;
  $("live").setAttribute("aria-pressed", String(state.live));
  $("pause").hidden = !state.live;
  writeUrl();
  if (state.live) startTail(); else stopTail();
});

$("pause").addEventListener("click", () => {
  const paused = $("pause").getAttribute("aria-pressed") !== "true";
  $("pause").setAttribute("aria-pressed", String(paused));
  if (!tail) return;
  tail.paused = paused;
  if (!paused) {
    entries.unshift(...tail.buffered.reverse());
    tail.buffered = [];
    $("pause").textContent = "Pause";
    render();
  }
});

// ---- The controls ------------------------------------------------------------------

function syncRangeControls() {
  $("range").value = state.range;
  $("custom-range").hidden = state.range !== "custom";
  if (state.range === "custom") {
    $("from").value = toLocalInput(state.from);
    $("to").value = toLocalInput(state.to);
  }
}

function toLocalInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60e3);
  return d.toISOString().slice(0, 19);
}

$("search-form").addEventListener("submit", (e) => {
  e.preventDefault();
  state.q = $("q").value.trim();
  refresh();
});
$("range").addEventListener("change", () => {
  state.range = $("range").value;
  if (state.range === "custom") {
    const b = timeBounds.call(null);
    state.from = bounds.from || b.from;
    state.to = bounds.to || b.to;
  }
  syncRangeControls();
  refresh();
});
for (const id of ["from", "to"]) {
  $(id).addEventListener("change", () => {
    const ms = new Date($(id).value).getTime();
    if (!Number.isFinite(ms)) return;
    state[id] = ms;
    if (state.from < state.to) refresh();
  });
}
$("syntax-toggle").addEventListener("click", () => {
  const open = $("syntax").hidden;
  $("syntax").hidden = !open;
  $("syntax-toggle").setAttribute("aria-expanded", String(open));
});

document.addEventListener("keydown", (e) => {
  const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement?.tagName || "");
  if (e.key === "/" && !typing) {
    e.preventDefault();
    $("q").focus();
    $("q").select();
  } else if (e.key === "Escape") {
    if (!$("detail").hidden) return hideDetail();
    if (document.activeElement === $("q") && $("q").value) {
      $("q").value = "";
      state.q = "";
      refresh();
    }
  }
});

// ---- Start ----------------------------------------------------------------------------

readUrl();
$("q").value = state.q;
$("live").setAttribute("aria-pressed", String(state.live));
$("pause").hidden = !state.live;
syncRangeControls();
drawAttrFilters();
refresh();
