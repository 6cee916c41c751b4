// Flux dashboard: speaks the client protocol of docs/client-protocol.md over socket.io-client.
// Untrusted text is only ever written with textContent; links are limited to http(s).
(function () {
  "use strict";

  const STORAGE_USER = "flux.userId";
  const STORAGE_CITY = "flux.place";
  const STORAGE_TOKEN = "flux.token"; // sessionStorage: this tab only
  const HEALTH_EVERY_MS = 15000;
  // [stale after, old after] in ms, per tile (how often each domain is produced).
  const STALE = {
    weather: [3600e3, 3 * 3600e3], topcoins: [600e3, 3600e3], movers: [600e3, 3600e3],
    stocks: [1800e3, 6 * 3600e3], news: [3600e3, 6 * 3600e3], ticker: [10e3, 60e3], health: [45e3, 120e3],
  };

  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  const store = (kind) => { try { return window[kind]; } catch (_) { return null; } };
  const read = (kind, key) => { try { return store(kind).getItem(key); } catch (_) { return null; } };
  const write = (kind, key, value) => { try { store(kind).setItem(key, value); } catch (_) { /* private mode */ } };

  // ---------------------------------------------------------------- assets
  const missing = [];
  if (typeof window.io !== "function") missing.push("socket.io-client (/vendor/socket.io.min.js): live updates are off");
  if (!window.FluxCharts || !window.FluxCharts.available) missing.push("uPlot (/vendor/uPlot.iife.min.js): charts are off");
  if (!window.FluxCities) missing.push("cities.js: city search is off");
  if (missing.length) {
    const banner = $("asset-warning");
    banner.replaceChildren(el("strong", null, "Missing client files — run make setup (npm ci) and reload: "));
    const list = el("ul");
    missing.forEach((m) => list.append(el("li", null, m)));
    banner.append(list);
    banner.hidden = false;
  }

  // ---------------------------------------------------------------- identity
  function userId() {
    let id = read("localStorage", STORAGE_USER);
    if (!id && window.crypto && crypto.randomUUID) {
      id = crypto.randomUUID();
      write("localStorage", STORAGE_USER, id);
    }
    return id;
  }
  function tokenFromPage() {
    const url = new URL(window.location.href);
    const given = url.searchParams.get("token");
    if (given) {
      write("sessionStorage", STORAGE_TOKEN, given);
      url.searchParams.delete("token"); // keep it out of the address bar, history and screenshots
      history.replaceState(null, "", url.pathname + (url.search || "") + url.hash);
    }
    return read("sessionStorage", STORAGE_TOKEN);
  }

  // --------------------------------------------------------------- formatting
  const money = (value, currency) => {
    const n = Number(value);
    if (!Number.isFinite(n)) return "—";
    // Enough digits that a typical tick shows: a $2 coin moves in the third decimal.
    const digits = n >= 1000 ? 0 : n >= 100 ? 2 : n >= 1 ? 4 : 6;
    return (currency === "USD" || !currency ? "$" : "") +
      n.toLocaleString(undefined, { minimumFractionDigits: Math.min(digits, 2), maximumFractionDigits: digits }) +
      (currency && currency !== "USD" ? " " + currency : "");
  };
  const compact = (value) => {
    const n = Number(value);
    if (!Number.isFinite(n)) return "—";
    return "$" + n.toLocaleString(undefined, { notation: "compact", maximumFractionDigits: 2 });
  };
  // Direction in words and arrows as well as colour.
  function change(value) {
    const n = Number(value);
    const span = el("span", "move");
    if (!Number.isFinite(n)) { span.textContent = "—"; return span; }
    const dir = n > 0 ? "up" : n < 0 ? "down" : "flat";
    span.classList.add(dir === "up" ? "pos" : dir === "down" ? "neg" : "flat");
    span.append(el("span", "arrow", dir === "up" ? "▲" : dir === "down" ? "▼" : "■"));
    span.lastChild.setAttribute("aria-hidden", "true");
    span.append(el("span", "sr-only", dir === "flat" ? "unchanged " : dir + " "));
    span.append(document.createTextNode((n > 0 ? "+" : "") + n.toFixed(2) + "%"));
    return span;
  }
  const ago = (ms) => {
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return s + "s ago";
    if (s < 3600) return Math.round(s / 60) + "m ago";
    if (s < 172800) return Math.round(s / 3600) + "h ago";
    return Math.round(s / 86400) + "d ago";
  };
  const time = (iso) => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? "—" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  };
  const dateTime = (iso) => {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return null;
    const sameYear = d.getFullYear() === new Date().getFullYear();
    return d.toLocaleString([], { day: "numeric", month: "short", year: sameYear ? undefined : "numeric", hour: "2-digit", minute: "2-digit" });
  };
  const safeUrl = (url) => {
    try {
      const u = new URL(url);
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
    } catch (_) { return null; }
  };

  // ------------------------------------------------- freshness and staleness
  const lastSeen = new Map(); // event|key -> {id, at}
  const stamps = new Map(); // tile -> producedAt
  function fresh(event, key, update) {
    const k = event + "|" + key;
    const prev = lastSeen.get(k);
    if (prev && (prev.id === update.snapshotId || prev.at > update.producedAt)) return false;
    lastSeen.set(k, { id: update.snapshotId, at: update.producedAt });
    return true;
  }
  function badge(tile) {
    const node = $(tile + "-badge");
    const at = stamps.get(tile);
    if (!node || !at) return;
    const [stale, old] = STALE[tile];
    const age = Date.now() - at;
    const state = age > old ? "old" : age > stale ? "stale" : "fresh";
    if (node.dataset.state !== state) {
      node.dataset.state = state;
      node.textContent = state;
    }
    node.title = "produced " + new Date(at).toLocaleString() + " (" + ago(at) + ")";
    node.hidden = false;
    const ageNode = $(tile + "-age");
    if (ageNode) ageNode.textContent = ago(at);
  }
  function stamp(tile, card, producedAt) {
    stamps.set(tile, producedAt);
    badge(tile);
    if (card && !window.FluxCharts.reducedMotion) { card.classList.remove("flash"); void card.offsetWidth; card.classList.add("flash"); }
  }
  setInterval(() => stamps.forEach((_, tile) => badge(tile)), 1000);

  // ------------------------------------------------------------------ render
  let currentCityKey = null;
  const weatherByKey = new Map(); // latest update per city, kept until the ack names our room
  function renderWeather(update) {
    const d = update.data || {};
    if (!fresh("weather", d.cityKey, update)) return;
    weatherByKey.set(d.cityKey, update);
    if (d.cityKey === currentCityKey) showWeather(update);
  }
  function showWeather(update) {
    const d = update.data || {};
    const body = $("weather-body");
    if (d.status === "success" && d.observation) {
      const o = d.observation;
      body.dataset.state = "filled";
      $("weather-temp").textContent = Math.round(o.temperatureC) + "°";
      $("weather-city").textContent = (chosen && chosen.label) || (o.city + (o.country ? ", " + o.country : ""));
      $("weather-condition").textContent = o.condition;
      $("weather-feels").textContent = o.feelsLikeC == null ? "—" : Math.round(o.feelsLikeC) + "°C";
      $("weather-humidity").textContent = o.humidityPct + "%";
      $("weather-wind").textContent = Number(o.windSpeedMps).toFixed(1) + " m/s";
      $("weather-observed").textContent = time(o.observedAt);
    } else {
      body.dataset.state = "error";
      $("weather-temp").textContent = "!";
      $("weather-condition").textContent = (d.error && d.error.message) || "weather unavailable";
    }
    stamp("weather", $("weather-card"), update.producedAt);
  }

  function replaceRows(tbody, rows, emptyText, columns) {
    tbody.replaceChildren();
    if (!rows.length) {
      const tr = el("tr", "placeholder");
      const td = el("td", null, emptyText);
      td.colSpan = columns;
      tr.append(td);
      tbody.append(tr);
    }
    rows.forEach((r) => tbody.append(r));
  }
  const cell = (cls, child) => { const td = el("td", cls); td.append(child); return td; };

  function renderTopCoins(update) {
    if (!fresh("topcoins", "global", update)) return;
    const d = update.data || {};
    const rows = (d.coins || []).map((c) => {
      const tr = el("tr");
      const name = el("td");
      name.append(el("span", "coin-name", c.name), el("span", "coin-sym", c.symbol));
      tr.append(el("td", null, c.rank), name, el("td", "num", money(c.price, d.quoteCurrency)),
        cell("num", change(c.changePct24h)), el("td", "num", compact(c.volume24h)),
        el("td", "num wide-cell", compact(c.marketCap)));
      return tr;
    });
    replaceRows($("topcoins-body"), rows, "no coins", 6);
    stamp("topcoins", $("topcoins-body").closest(".card"), update.producedAt);
  }

  function moveItems(list, moves, currency) {
    list.replaceChildren();
    (moves || []).forEach((m) => {
      const li = el("li");
      const left = el("span");
      left.append(el("strong", null, m.symbol), el("span", "coin-sym", money(m.price, currency)));
      li.append(left, change(m.changePct24h));
      list.append(li);
    });
    if (!list.children.length) list.append(el("li", "placeholder", "—"));
  }
  function renderMovers(update) {
    if (!fresh("movers", "global", update)) return;
    const d = update.data || {};
    moveItems($("gainers"), d.gainers, d.quoteCurrency);
    moveItems($("losers"), d.losers, d.quoteCurrency);
    stamp("movers", $("gainers").closest(".card"), update.producedAt);
  }

  function renderStocks(update) {
    if (!fresh("stocks", "global", update)) return;
    const rows = ((update.data || {}).performers || []).map((p) => {
      const tr = el("tr");
      tr.append(el("td", "coin-name", p.symbol), el("td", null, p.name), el("td", "num", money(p.price, p.currency)),
        cell("num", change(p.changePct)));
      return tr;
    });
    replaceRows($("stocks-body"), rows, "no stocks", 4);
    stamp("stocks", $("stocks-body").closest(".card"), update.producedAt);
  }

  function renderNews(update) {
    if (!fresh("news", "global", update)) return;
    const list = $("news-list");
    list.replaceChildren();
    ((update.data || {}).articles || []).slice(0, 12).forEach((a) => {
      const li = el("li");
      const href = safeUrl(a.url);
      const title = el(href ? "a" : "span", "title", a.title);
      if (href) { title.href = href; title.target = "_blank"; title.rel = "noopener noreferrer"; }
      const meta = el("div", "meta", a.source + " · ");
      const when = dateTime(a.publishedAt);
      const stampNode = el("time", null, when || "date unknown");
      if (when) { stampNode.dateTime = new Date(a.publishedAt).toISOString(); stampNode.title = ago(Date.parse(a.publishedAt)); }
      meta.append(stampNode);
      li.append(title, meta);
      if (a.summary) li.append(el("div", "summary", a.summary.slice(0, 220)));
      list.append(li);
    });
    if (!list.children.length) list.append(el("li", "placeholder", "no articles"));
    stamp("news", list.closest(".card"), update.producedAt);
  }

  // ---------------------------------------------- ticker tape, sparklines, chart
  const Charts = window.FluxCharts;
  const products = new Map(); // productId -> {chip, history, spark, prev}
  const chart = new Charts.PriceChart($("price-chart"), (v) => money(v, "USD"));
  const select = $("chart-product");
  let selected = null;
  let lastBatch = -1;

  function choose(product) {
    const entry = products.get(product);
    if (!entry) return;
    selected = product;
    select.value = product;
    products.forEach((p, id) => p.chip.setAttribute("aria-pressed", String(id === product)));
    $("chart-title").textContent = product;
    chart.show(product, entry.history);
    summary(entry);
  }
  function summary(entry) {
    const h = entry.history;
    $("chart-price").textContent = money(h.last, "USD");
    const move = $("chart-move");
    move.replaceChildren();
    if (h.length > 1 && h.first) move.append(change(((h.last - h.first) / h.first) * 100), el("span", "note", " over " + Math.max(1, Math.round((h.t[h.length - 1] - h.t[0]) / 60)) + " min"));
  }
  function chipFor(productId) {
    let entry = products.get(productId);
    if (entry) return entry;
    const tape = $("ticker-tape");
    if (!products.size) { tape.replaceChildren(); select.replaceChildren(); }
    const chip = el("button", "tick");
    chip.type = "button";
    chip.dataset.product = productId;
    chip.setAttribute("aria-pressed", "false");
    const arrow = el("span", "arrow");
    arrow.setAttribute("aria-hidden", "true");
    const spark = el("span", "spark");
    spark.setAttribute("aria-hidden", "true");
    chip.append(el("span", "sym", productId), el("span", "px", "—"), arrow, el("span", "sr-only dir"), spark);
    chip.addEventListener("click", () => choose(productId));
    tape.append(chip);
    select.append(el("option", null, productId));
    const history = new Charts.History();
    entry = { chip, history, spark: new Charts.Sparkline(spark, history), prev: null };
    products.set(productId, entry);
    if (!selected) choose(productId);
    return entry;
  }
  function renderTicker(update) {
    const d = update.data || {};
    (d.ticks || []).forEach((t) => {
      const entry = chipFor(t.productId);
      const price = Number(t.price);
      const { chip } = entry;
      if (entry.prev !== null && price !== entry.prev) {
        const up = price > entry.prev;
        chip.classList.remove("up", "down");
        chip.classList.add(up ? "up" : "down");
        chip.querySelector(".arrow").textContent = up ? "▲" : "▼";
        chip.querySelector(".dir").textContent = up ? " up" : " down";
      }
      entry.prev = price;
      chip.querySelector(".px").textContent = money(t.price, "USD");
      entry.history.add((Number(t.timeMs) || update.producedAt) / 1000, price);
      entry.spark.touch();
      if (t.productId === selected) summary(entry);
    });
    lastBatch = d.batchSequence;
    $("ticker-tape").dataset.batch = String(lastBatch);
    stamps.set("ticker", update.producedAt);
  }
  select.addEventListener("change", () => choose(select.value));
  (function frame(now) {
    products.forEach((p) => p.spark.draw(now));
    chart.draw(now);
    requestAnimationFrame(frame);
  })(performance.now());

  // ------------------------------------------------------------------ health
  async function checkHealth() {
    const list = $("health-checks");
    let body = null;
    let status = 0;
    try {
      const response = await fetch("/ready", { cache: "no-store" });
      status = response.status;
      body = await response.json();
    } catch (_) { /* unreachable */ }
    list.replaceChildren();
    if (!body || !body.checks) {
      list.append(el("li", "check bad", "✕ /ready unreachable" + (status ? " (HTTP " + status + ")" : "")));
      return;
    }
    const overall = el("li", "check " + (body.ready ? "ok" : "bad"), (body.ready ? "✓ ready" : "✕ not ready") +
      (body.instance ? " · " + body.instance : ""));
    list.append(overall);
    Object.entries(body.checks).forEach(([name, ok]) => list.append(el("li", "check " + (ok ? "ok" : "bad"), (ok ? "✓ " : "✕ ") + name)));
    stamps.set("health", Date.now());
    badge("health");
  }
  checkHealth();
  setInterval(checkHealth, HEALTH_EVERY_MS);

  // ------------------------------------------------------------------ socket
  const status = $("status");
  const setStatus = (state, text) => { status.dataset.state = state; $("status-text").textContent = text; };
  const uid = userId();
  if (uid) $("user-id").textContent = "user " + uid.slice(0, 8);
  const REASONS = {
    unauthorized: "unauthorized — a token is needed",
    server_full: "refused — the server is full",
    too_many_connections_from_address: "refused — too many connections from this address",
  };

  let chosen = null; // {label, place, lat, lon}
  let socket = null;
  if (typeof window.io === "function") {
    const token = tokenFromPage();
    const auth = {};
    if (uid) auth.userId = uid;
    if (token) auth.token = token;
    socket = window.io({ transports: ["websocket", "polling"], auth });

    socket.on("connect", () => {
      setStatus("connected", "live");
      $("token-form").hidden = true;
      ["crypto.global", "news.global", "stock.global"].forEach((channel) => socket.emit("subscribe", { channel }));
      if (chosen) joinCity(chosen); // rejoin and re-hydrate after a reconnect
    });
    socket.on("disconnect", (reason) => setStatus("disconnected", "disconnected (" + reason + ") — retrying"));
    socket.io.on("reconnect_attempt", (n) => setStatus("connecting", "reconnecting (" + n + ")…"));
    socket.on("connect_error", (err) => {
      const reason = (err && err.message) || "unknown";
      if (REASONS[reason]) {
        setStatus(reason === "unauthorized" ? "unauthorized" : "refused", REASONS[reason]);
        if (reason === "unauthorized") { $("token-form").hidden = false; $("token-input").focus(); }
      } else {
        setStatus("disconnected", "cannot reach the server (" + reason + ")");
      }
      status.dataset.reason = reason;
    });
    socket.on("weather", renderWeather);
    socket.on("crypto:topcoins", renderTopCoins);
    socket.on("crypto:movers", renderMovers);
    socket.on("crypto:ticker", renderTicker);
    socket.on("news", renderNews);
    socket.on("stocks", renderStocks);
    socket.on("error", (e) => console.warn("server error", e));
  } else {
    setStatus("disconnected", "no client library — see above");
  }
  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const token = $("token-input").value;
    write("sessionStorage", STORAGE_TOKEN, token);
    $("token-input").value = "";
    if (socket) { socket.auth.token = token; setStatus("connecting", "connecting…"); socket.connect(); }
  });

  // -------------------------------------------------------------- weather
  const errorBox = $("city-error");
  const showError = (message) => { errorBox.textContent = message; errorBox.hidden = false; };
  function joinCity(place) {
    errorBox.hidden = true;
    if (!socket || !socket.connected) { showError("not connected; the city is set once the connection is back"); return; }
    socket.timeout(10000).emit("locationUpdate", { city: place.place, lat: place.lat, lon: place.lon }, (err, ack) => {
      if (err) { showError("no answer from the server"); return; }
      if (!ack || !ack.ok) { showError((ack && ack.error && ack.error.message) || "could not set the city"); return; }
      currentCityKey = ack.room.slice("weather.".length);
      const known = weatherByKey.get(currentCityKey);
      if (known) showWeather(known);
    });
  }
  function useCity(city) {
    const place = { label: city.label, place: city.place || city.name, lat: city.lat, lon: city.lon };
    chosen = place;
    currentCityKey = null;
    $("weather-body").dataset.state = "empty";
    $("weather-city").textContent = place.label;
    $("weather-temp").textContent = "…";
    $("weather-condition").textContent = "waiting for the weather service";
    write("localStorage", STORAGE_CITY, JSON.stringify(place));
    joinCity(place);
  }
  if (window.FluxCities) {
    window.FluxCities.attach({
      input: $("city-input"), list: $("city-suggestions"), form: $("city-form"), locate: $("locate"),
      onPick: useCity, onError: showError,
      onBusy: (busy) => { $("city-input").setAttribute("aria-busy", String(busy)); if (busy) errorBox.hidden = true; },
    });
  }
  try {
    const saved = JSON.parse(read("localStorage", STORAGE_CITY) || "null");
    if (saved && typeof saved.place === "string" && Number.isFinite(saved.lat) && Number.isFinite(saved.lon)) {
      $("city-input").value = saved.label || saved.place;
      chosen = saved; // joined on connect
      $("weather-city").textContent = saved.label || saved.place;
    }
  } catch (_) { /* ignore */ }

  // -------------------------------------------------------------- refresh
  const ACKS = { rate_limited: "rate-limited — wait a moment", unavailable: "unavailable — try later" };
  document.querySelectorAll(".refresh").forEach((button) => {
    const out = $(button.dataset.ack);
    let clear = null;
    const say = (state, text) => {
      out.dataset.state = state;
      out.textContent = text;
      clearTimeout(clear);
      clear = setTimeout(() => { out.textContent = ""; delete out.dataset.state; }, 6000);
    };
    button.addEventListener("click", () => {
      if (!socket || !socket.connected) { say("error", "not connected"); return; }
      button.classList.add("busy");
      button.setAttribute("aria-busy", "true");
      socket.timeout(5000).emit("refresh", { domain: button.dataset.domain }, (err, ack) => {
        button.classList.remove("busy");
        button.removeAttribute("aria-busy");
        if (err) say("error", "no answer");
        else if (ack && ack.ok) say("ok", ack.coalesced ? "already requested" : "requested");
        else {
          const code = ack && ack.error && ack.error.code;
          say(code === "rate_limited" ? "limited" : "error", ACKS[code] || (ack && ack.error && ack.error.message) || "failed");
        }
      });
    });
  });
})();
