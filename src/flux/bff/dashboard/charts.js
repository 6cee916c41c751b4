// Flux dashboard: prices as pictures. uPlot (npm, served from node_modules) draws a sparkline per
// ticker product and one larger chart for the selected product. The history lives in this page
// only (ADR-007: the server never keeps tickers); it is bounded in time and in points.
(function () {
  "use strict";

  const WINDOW_S = 5 * 60; // what a sparkline shows
  const MAX_POINTS = 900; // per product, whatever the tick rate
  const MIN_STEP_S = 0.25; // ticks closer than this replace the last point
  const reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const REDRAW_MS = reducedMotion ? 2000 : 500;
  const available = typeof window.uPlot === "function";

  const css = (name, fallback) =>
    (getComputedStyle(document.documentElement).getPropertyValue(name) || "").trim() || fallback;

  /** Bounded price history of one product: parallel arrays of epoch seconds and prices. */
  class History {
    constructor() { this.t = []; this.p = []; }
    add(seconds, price) {
      if (!Number.isFinite(seconds) || !Number.isFinite(price)) return;
      const n = this.t.length;
      if (n && seconds < this.t[n - 1]) return; // out of order: older than what we show
      if (n && seconds - this.t[n - 1] < MIN_STEP_S) { this.p[n - 1] = price; } // same bucket: latest price
      else { this.t.push(seconds); this.p.push(price); }
      const cutoff = seconds - WINDOW_S;
      let drop = 0;
      while (drop < this.t.length - 1 && this.t[drop] < cutoff) drop++;
      drop = Math.max(drop, this.t.length - MAX_POINTS);
      if (drop > 0) { this.t.splice(0, drop); this.p.splice(0, drop); }
    }
    get length() { return this.t.length; }
    get first() { return this.p[0]; }
    get last() { return this.p[this.p.length - 1]; }
    data() { return [this.t.slice(), this.p.slice()]; }
  }

  function trendColour(history) {
    return history.length > 1 && history.last < history.first ? css("--down", "#f43f5e") : css("--up", "#22c55e");
  }

  /** A tiny line chart inside ``target`` (no axes, no cursor); redrawn at most every REDRAW_MS. */
  class Sparkline {
    constructor(target, history) {
      this.target = target;
      this.history = history;
      this.plot = null;
      this.drawnAt = 0;
      this.dirty = false;
    }
    touch() { this.dirty = true; }
    draw(now) {
      if (!available || !this.dirty || now - this.drawnAt < REDRAW_MS || this.history.length < 2) return;
      this.dirty = false;
      this.drawnAt = now;
      const colour = trendColour(this.history);
      if (!this.plot || this.colour !== colour) {
        if (this.plot) this.plot.destroy();
        this.colour = colour;
        this.plot = new window.uPlot({
          width: 84, height: 24, pxAlign: false,
          cursor: { show: false }, select: { show: false }, legend: { show: false },
          scales: { x: { time: false } },
          axes: [{ show: false }, { show: false }],
          series: [{}, { stroke: colour, width: 1.5, points: { show: false } }],
        }, this.history.data(), this.target);
      } else {
        this.plot.setData(this.history.data());
      }
      this.target.dataset.points = String(this.history.length);
    }
  }

  /** The selected product's chart: time axis, price axis, sized to its container. */
  class PriceChart {
    constructor(target, format) {
      this.target = target;
      this.format = format;
      this.plot = null;
      this.history = null;
      this.product = null;
      this.drawnAt = 0;
      if (window.ResizeObserver) {
        new ResizeObserver(() => { if (this.plot) this.plot.setSize(this.size()); }).observe(target);
      }
    }
    size() { return { width: Math.max(200, this.target.clientWidth), height: this.target.clientWidth < 500 ? 180 : 240 }; }
    show(product, history) {
      this.product = product;
      this.history = history;
      if (this.plot) { this.plot.destroy(); this.plot = null; }
      this.drawnAt = 0;
      this.draw(performance.now(), true);
    }
    draw(now, force) {
      const h = this.history;
      if (!available || !h || h.length < 2 || (!force && now - this.drawnAt < REDRAW_MS)) return;
      this.drawnAt = now;
      if (!this.plot) {
        const axis = { stroke: css("--muted", "#8b9bb7"), grid: { stroke: css("--line", "#23304d"), width: 1 }, ticks: { show: false } };
        this.plot = new window.uPlot({
          ...this.size(), pxAlign: false,
          legend: { show: false }, select: { show: false },
          scales: { x: { time: true } },
          axes: [axis, { ...axis, size: 70, values: (u, vals) => vals.map((v) => this.format(v)) }],
          series: [{}, { label: this.product, stroke: css("--accent", "#38bdf8"), width: 2, fill: "rgba(56,189,248,.08)", points: { show: false } }],
        }, h.data(), this.target);
      } else {
        this.plot.setData(h.data());
      }
      const minutes = Math.max(1, Math.round((h.t[h.length - 1] - h.t[0]) / 60));
      const move = h.last - h.first;
      this.target.dataset.points = String(h.length);
      this.target.setAttribute("aria-label", this.product + " price over the last " + minutes + " min: " +
        (move > 0 ? "up" : move < 0 ? "down" : "unchanged") + " from " + this.format(h.first) + " to " + this.format(h.last));
    }
  }

  window.FluxCharts = { available, reducedMotion, History, Sparkline, PriceChart, WINDOW_S, MAX_POINTS };
})();
