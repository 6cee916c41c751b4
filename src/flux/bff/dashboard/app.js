// Flux dashboard: speaks the client protocol of docs/client-protocol.md over socket.io-client.
// Untrusted text is only ever written with textContent; links are limited to http(s).
(function () {
  "use strict";

  const PRESETS = [
    ["Delhi", 28.61, 77.2], ["London", 51.51, -0.13], ["New York", 40.71, -74.01],
    ["Tokyo", 35.68, 139.69], ["São Paulo", -23.55, -46.63], ["Sydney", -33.87, 151.21],
    ["Paris", 48.86, 2.35], ["Berlin", 52.52, 13.4], ["Lagos", 6.52, 3.38],
    ["Mumbai", 19.08, 72.88], ["Cairo", 30.04, 31.24], ["Toronto", 43.65, -79.38],
  ];
  const STORAGE_USER = "flux.userId";
  const STORAGE_CITY = "flux.city";

  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };

  // ---------------------------------------------------------------- identity
  function userId() {
    let id = null;
    try { id = localStorage.getItem(STORAGE_USER); } catch (_) { /* private mode */ }
    if (!id && window.crypto && crypto.randomUUID) {
      id = crypto.randomUUID();
      try { localStorage.setItem(STORAGE_USER, id); } catch (_) { /* ignore */ }
    }
    return id;
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
  const pct = (value) => {
    const n = Number(value);
    if (!Number.isFinite(n)) return "—";
    return (n > 0 ? "+" : "") + n.toFixed(2) + "%";
  };
  const ago = (ms) => {
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return s + "s ago";
    if (s < 3600) return Math.round(s / 60) + "m ago";
    return Math.round(s / 3600) + "h ago";
  };
  const time = (iso) => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? "—" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  };
  const safeUrl = (url) => {
    try {
      const u = new URL(url);
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
    } catch (_) { return null; }
  };

  // ------------------------------------------------------ freshness per card
  const lastSeen = new Map(); // event|key -> producedAt
  const ages = new Map(); // element id -> producedAt
  function fresh(event, key, update) {
    const k = event + "|" + key;
    const prev = lastSeen.get(k);
    if (prev && (prev.id === update.snapshotId || prev.at > update.producedAt)) return false;
    lastSeen.set(k, { id: update.snapshotId, at: update.producedAt });
    return true;
  }
  function stamp(ageId, card, producedAt) {
    ages.set(ageId, producedAt);
    $(ageId).textContent = ago(producedAt);
    if (card) { card.classList.remove("flash"); void card.offsetWidth; card.classList.add("flash"); }
  }
  setInterval(() => ages.forEach((at, id) => { $(id).textContent = ago(at); }), 1000);

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
      $("weather-city").textContent = o.city + (o.country ? ", " + o.country : "");
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
    stamp("weather-age", $("weather-card"), update.producedAt);
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

  function renderTopCoins(update) {
    if (!fresh("topcoins", "global", update)) return;
    const d = update.data || {};
    const rows = (d.coins || []).map((c) => {
      const tr = el("tr");
      const name = el("td");
      name.append(el("span", "coin-name", c.name), el("span", "coin-sym", c.symbol));
      tr.append(el("td", null, c.rank), name, el("td", "num", money(c.price, d.quoteCurrency)),
        el("td", "num", compact(c.marketCap)));
      return tr;
    });
    replaceRows($("topcoins-body"), rows, "no coins", 4);
    stamp("topcoins-age", $("topcoins-body").closest(".card"), update.producedAt);
  }

  function moveItems(list, moves, currency) {
    list.replaceChildren();
    (moves || []).forEach((m) => {
      const li = el("li");
      const left = el("span");
      left.append(el("strong", null, m.symbol), el("span", "coin-sym", money(m.price, currency)));
      li.append(left, el("span", Number(m.changePct24h) >= 0 ? "pos" : "neg", pct(m.changePct24h)));
      list.append(li);
    });
    if (!list.children.length) list.append(el("li", "placeholder", "—"));
  }

  function renderMovers(update) {
    if (!fresh("movers", "global", update)) return;
    const d = update.data || {};
    moveItems($("gainers"), d.gainers, d.quoteCurrency);
    moveItems($("losers"), d.losers, d.quoteCurrency);
    stamp("movers-age", $("gainers").closest(".card"), update.producedAt);
  }

  function renderStocks(update) {
    if (!fresh("stocks", "global", update)) return;
    const rows = ((update.data || {}).performers || []).map((p) => {
      const tr = el("tr");
      tr.append(el("td", "coin-name", p.symbol), el("td", null, p.name), el("td", "num", money(p.price, p.currency)),
        el("td", "num " + (Number(p.changePct) >= 0 ? "pos" : "neg"), pct(p.changePct)));
      return tr;
    });
    replaceRows($("stocks-body"), rows, "no stocks", 4);
    stamp("stocks-age", $("stocks-body").closest(".card"), update.producedAt);
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
      li.append(title, el("div", "meta", a.source + " · " + time(a.publishedAt)));
      if (a.summary) li.append(el("div", "summary", a.summary.slice(0, 220)));
      list.append(li);
    });
    if (!list.children.length) list.append(el("li", "placeholder", "no articles"));
    stamp("news-age", list.closest(".card"), update.producedAt);
  }

  // Ticker tape: one chip per product, updated in place; colour shows the last move.
  const chips = new Map();
  let lastBatch = -1;
  function renderTicker(update) {
    const d = update.data || {};
    const tape = $("ticker-tape");
    (d.ticks || []).forEach((t) => {
      let chip = chips.get(t.productId);
      if (!chip) {
        if (!chips.size) tape.replaceChildren();
        chip = el("span", "tick");
        chip.dataset.product = t.productId;
        chip.append(el("span", "sym", t.productId), el("span", "px", "—"));
        chip.prev = null;
        chips.set(t.productId, chip);
        tape.append(chip);
      }
      const price = Number(t.price);
      if (chip.prev !== null && price !== chip.prev) {
        chip.classList.remove("up", "down");
        chip.classList.add(price > chip.prev ? "up" : "down");
      }
      chip.prev = price;
      chip.querySelector(".px").textContent = money(t.price, "USD");
    });
    lastBatch = d.batchSequence;
    tape.dataset.batch = String(lastBatch);
  }

  // ------------------------------------------------------------------ socket
  const status = $("status");
  const setStatus = (state, text) => { status.dataset.state = state; $("status-text").textContent = text; };
  const uid = userId();
  if (uid) $("user-id").textContent = "user " + uid.slice(0, 8);

  const socket = io({ transports: ["websocket", "polling"], auth: uid ? { userId: uid } : {} });

  function joinCity(city, lat, lon) {
    const errorBox = $("city-error");
    errorBox.hidden = true;
    socket.emit("locationUpdate", { city, lat, lon }, (ack) => {
      if (!ack || !ack.ok) {
        errorBox.textContent = (ack && ack.error && ack.error.message) || "could not set the city";
        errorBox.hidden = false;
        return;
      }
      currentCityKey = ack.room.slice("weather.".length);
      const known = weatherByKey.get(currentCityKey);
      if (known) showWeather(known);
      try { localStorage.setItem(STORAGE_CITY, JSON.stringify([city, lat, lon])); } catch (_) { /* ignore */ }
    });
  }

  let chosen = null;
  socket.on("connect", () => {
    setStatus("connected", "live");
    ["crypto.global", "news.global", "stock.global"].forEach((channel) => socket.emit("subscribe", { channel }));
    if (chosen) joinCity(...chosen); // rejoin and re-hydrate after a reconnect
  });
  socket.on("disconnect", () => setStatus("disconnected", "disconnected — retrying"));
  socket.io.on("reconnect_attempt", (n) => setStatus("connecting", "reconnecting (" + n + ")…"));
  socket.on("connect_error", () => setStatus("disconnected", "cannot reach the server"));

  socket.on("weather", renderWeather);
  socket.on("crypto:topcoins", renderTopCoins);
  socket.on("crypto:movers", renderMovers);
  socket.on("crypto:ticker", renderTicker);
  socket.on("news", renderNews);
  socket.on("stocks", renderStocks);
  socket.on("error", (e) => console.warn("server error", e));

  // -------------------------------------------------------------- controls
  const presets = $("city-presets");
  PRESETS.forEach(([name]) => presets.append(el("option", null, name)));
  $("city-input").addEventListener("input", (ev) => {
    const match = PRESETS.find(([name]) => name.toLowerCase() === ev.target.value.trim().toLowerCase());
    if (match) { $("lat-input").value = match[1]; $("lon-input").value = match[2]; }
  });
  $("city-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const city = $("city-input").value.trim();
    const lat = Number($("lat-input").value);
    const lon = Number($("lon-input").value);
    currentCityKey = null;
    const body = $("weather-body");
    body.dataset.state = "empty";
    $("weather-city").textContent = city;
    $("weather-temp").textContent = "…";
    $("weather-condition").textContent = "waiting for the weather service";
    chosen = [city, lat, lon];
    joinCity(city, lat, lon);
  });
  document.querySelectorAll(".refresh").forEach((button) => {
    button.addEventListener("click", () => {
      button.classList.add("busy");
      socket.emit("refresh", { domain: button.dataset.domain }, () => button.classList.remove("busy"));
    });
  });

  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_CITY) || "null");
    if (Array.isArray(saved) && saved.length === 3) {
      $("city-input").value = saved[0]; $("lat-input").value = saved[1]; $("lon-input").value = saved[2];
    }
  } catch (_) { /* ignore */ }
})();
