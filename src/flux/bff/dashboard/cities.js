// Flux dashboard: city search without coordinates. The search box asks GET /api/cities (the BFF's
// offline gazetteer) as the user types, debounced, one request in flight, answers kept per query;
// "use my location" asks the browser for a position and GET /api/cities/nearest for its city.
(function () {
  "use strict";

  const DEBOUNCE_MS = 150;
  const LIMIT = 8;
  const MAX_REMEMBERED = 200;

  async function getJson(url, signal) {
    const response = await fetch(url, { signal, headers: { Accept: "application/json" } });
    let body = null;
    try { body = await response.json(); } catch (_) { /* not JSON */ }
    if (!response.ok) {
      const message = (body && body.error && body.error.message) ||
        (response.status === 429 ? "too many searches; slow down" : "city search failed (" + response.status + ")");
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  /**
   * Wire the combobox: ``input`` (role=combobox), ``list`` (role=listbox), ``onPick(city)`` when a
   * suggestion is chosen, ``onError(message)`` for anything to show the user.
   */
  function attach({ input, list, form, locate, onPick, onError, onBusy }) {
    const remembered = new Map();
    let timer = null;
    let inFlight = null;
    let options = [];
    let active = -1;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      options = [];
      active = -1;
    }

    function highlight(index) {
      active = index;
      [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
      if (index >= 0 && list.children[index]) {
        input.setAttribute("aria-activedescendant", list.children[index].id);
        list.children[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function pick(city) {
      close();
      input.value = city.label;
      onPick(city);
    }

    function show(cities, query) {
      list.replaceChildren();
      options = cities;
      if (!cities.length) {
        const li = document.createElement("li");
        li.className = "empty";
        li.textContent = "no city starts with “" + query.slice(0, 40) + "”";
        li.setAttribute("aria-disabled", "true");
        list.append(li);
      }
      cities.forEach((city, i) => {
        const li = document.createElement("li");
        li.id = "city-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.id = String(city.id);
        const name = document.createElement("span");
        name.className = "name";
        name.textContent = city.name;
        const where = document.createElement("span");
        where.className = "where";
        where.textContent = city.label.slice(city.name.length + 2);
        li.append(name, where);
        const folded = city.name.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
        const matched = city.matched && !folded.startsWith(city.matched); // found by another name: say which
        if (matched) {
          const aka = document.createElement("span");
          aka.className = "aka";
          aka.textContent = "“" + city.matched + "”";
          li.append(aka);
        }
        li.addEventListener("mousedown", (ev) => ev.preventDefault()); // keep focus in the input
        li.addEventListener("click", () => pick(city));
        list.append(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(cities.length ? 0 : -1);
    }

    async function search(query) {
      const key = query.trim().toLowerCase();
      if (!key) { close(); return; }
      if (remembered.has(key)) { show(remembered.get(key), query); return; }
      if (inFlight) inFlight.abort();
      const controller = new AbortController();
      inFlight = controller;
      onBusy(true);
      try {
        const body = await getJson("/api/cities?limit=" + LIMIT + "&q=" + encodeURIComponent(query.trim()), controller.signal);
        if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value);
        remembered.set(key, body.cities || []);
        if (input.value.trim().toLowerCase() === key) show(body.cities || [], query);
      } catch (error) {
        if (error.name !== "AbortError") { close(); onError(error.message); }
      } finally {
        if (inFlight === controller) { inFlight = null; onBusy(false); }
      }
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => search(input.value), DEBOUNCE_MS);
    });
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowDown" && options.length) { ev.preventDefault(); highlight((active + 1) % options.length); }
      else if (ev.key === "ArrowUp" && options.length) { ev.preventDefault(); highlight((active - 1 + options.length) % options.length); }
      else if (ev.key === "Escape") { close(); }
      else if (ev.key === "Enter" && !list.hidden && active >= 0) { ev.preventDefault(); pick(options[active]); }
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!list.hidden && active >= 0) { pick(options[active]); return; }
      const query = input.value.trim();
      if (!query) { onError("type a city name"); return; }
      try {
        const body = await getJson("/api/cities?limit=1&q=" + encodeURIComponent(query));
        if (body.cities && body.cities.length) pick(body.cities[0]);
        else onError("no city called “" + query.slice(0, 40) + "”");
      } catch (error) { onError(error.message); }
    });

    locate.addEventListener("click", () => {
      if (!navigator.geolocation) { onError("this browser cannot tell its location"); return; }
      locate.disabled = true;
      locate.setAttribute("aria-busy", "true");
      const done = () => { locate.disabled = false; locate.removeAttribute("aria-busy"); };
      navigator.geolocation.getCurrentPosition(async (position) => {
        try {
          const { latitude, longitude } = position.coords;
          const body = await getJson("/api/cities/nearest?lat=" + latitude.toFixed(4) + "&lon=" + longitude.toFixed(4));
          pick(body.city);
        } catch (error) { onError(error.message); }
        done();
      }, (error) => {
        onError(error.code === 1 ? "location permission was denied" : "your location is unavailable");
        done();
      }, { maximumAge: 600000, timeout: 10000 });
    });

    return { close };
  }

  window.FluxCities = { attach };
})();
