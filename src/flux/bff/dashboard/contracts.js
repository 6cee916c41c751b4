// Flux contracts browser: topics from the catalogue, their subjects, versions, rules and diffs, from
// the BFF's /api/contracts/* (src/flux/bff/contracts_api.py). Plain JS, no framework. Untrusted text
// is only ever written with textContent.
(function () {
  "use strict";

  const REFRESH_MS = 5000;
  const FIRST_RATE_MS = 1500; // the BFF reads Kafka's offsets at most once a second
  const REQUEST_TIMEOUT_MS = 15000;
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  const seg = (text) => encodeURIComponent(text);

  async function getJson(url) {
    // Never a request that hangs for ever: the BFF answers within its registry/Kafka budgets.
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const headers = { Accept: "application/json" };
    // The dashboard keeps the BFF's token for this tab (sessionStorage "flux.token"); send it along.
    let token = null;
    try { token = window.sessionStorage.getItem("flux.token"); } catch (_) { /* storage blocked */ }
    if (token) headers.Authorization = "Bearer " + token;
    const response = await fetch(url, { cache: "no-store", headers, signal });
    let body = null;
    try { body = await response.json(); } catch (_) { /* not JSON */ }
    if (!response.ok) {
      const message = (body && body.error && body.error.message) || "HTTP " + response.status;
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  // ------------------------------------------------------------------ status
  function status(state, text) {
    const node = $("status");
    node.dataset.state = state;
    $("status-text").textContent = text;
  }

  // ---------------------------------------------------------------- formats
  const count = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString());
  function rate(n) {
    if (n === null || n === undefined) return "— msg/s";
    const digits = n >= 100 ? 0 : n >= 10 ? 1 : 2;
    return n.toLocaleString(undefined, { maximumFractionDigits: digits }) + " msg/s";
  }
  function retention(ms) {
    if (ms < 0) return "forever";
    const hours = ms / 3600e3;
    return hours >= 24 ? Math.round(hours / 24) + " d" : Math.round(hours * 10) / 10 + " h";
  }
  function facts(dl, rows) {
    dl.replaceChildren();
    rows.forEach(([name, value]) => {
      const row = el("div");
      row.append(el("dt", null, name));
      const dd = el("dd");
      if (value instanceof Node) dd.append(value); else dd.textContent = value === null || value === undefined ? "—" : String(value);
      row.append(dd);
      dl.append(row);
    });
  }
  // A dead-letter count: a word and a sign as well as a colour.
  function dlqBadge(dead) {
    if (!dead) return el("span", "dlq none", "no DLQ");
    const n = dead.records;
    if (n === null || n === undefined) return el("span", "dlq", "DLQ —");
    const badge = el("span", n > 0 ? "dlq warn" : "dlq ok");
    if (n > 0) {
      badge.append(el("span", null, "⚠ "));
      badge.firstChild.setAttribute("aria-hidden", "true");
    }
    badge.append(document.createTextNode(n > 0 ? count(n) + " in DLQ" : "DLQ empty"));
    return badge;
  }

  // ------------------------------------------------------------------ state
  let topics = [];
  let selectedTopic = null;
  let selectedSubject = null;
  const buttons = new Map(); // topic name -> its button in the list

  function readHash() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    return { topic: params.get("topic"), subject: params.get("subject") };
  }
  function writeHash() {
    const params = new URLSearchParams();
    if (selectedTopic) params.set("topic", selectedTopic);
    if (selectedSubject) params.set("subject", selectedSubject);
    history.replaceState(null, "", "#" + params.toString());
  }

  // ------------------------------------------------------------ topic list
  function topicButton(topic) {
    const button = el("button", "topic");
    button.type = "button";
    button.dataset.topic = topic.name;
    const head = el("span", "topic-head");
    head.append(el("span", "topic-name", topic.name), el("span", "kind", topic.kind));
    const flow = el("span", "flow", topic.producer + " → " + topic.consumers.join(", "));
    flow.setAttribute("aria-label", "produced by " + topic.producer + ", consumed by " + topic.consumers.join(", "));
    const numbers = el("span", "numbers");
    numbers.append(el("span", "rate"), el("span", "dlq-slot"));
    button.append(head, flow, numbers);
    button.addEventListener("click", () => selectTopic(topic.name, true));
    return button;
  }
  function updateNumbers(topic) {
    const button = buttons.get(topic.name);
    if (!button) return;
    button.querySelector(".rate").textContent = rate(topic.messagesPerSecond);
    button.querySelector(".dlq-slot").replaceChildren(dlqBadge(topic.deadLetter));
  }
  function renderTopics(body) {
    const list = $("topic-list");
    const names = body.topics.map((t) => t.name).join("|");
    if (names !== [...buttons.keys()].join("|")) {
      list.replaceChildren();
      buttons.clear();
      body.topics.forEach((topic) => {
        const li = el("li");
        const button = topicButton(topic);
        buttons.set(topic.name, button);
        li.append(button);
        list.append(li);
      });
    }
    topics = body.topics;
    topics.forEach(updateNumbers);
    buttons.forEach((button, name) => button.setAttribute("aria-current", String(name === selectedTopic)));
    const problems = [];
    if (!body.kafka.available) problems.push("Kafka offsets unavailable");
    if (!body.registry.available) problems.push(body.registry.error || "registry unavailable");
    if (problems.length) status("degraded", problems.join("; "));
    else status("connected", "live");
    const span = body.windowSeconds ? " over " + body.windowSeconds.toFixed(1) + " s" : "";
    $("topics-age").textContent = !body.sampledAt ? "" : span ? "rates" + span : "measuring rates…";
    if (selectedTopic) renderTopic(topics.find((t) => t.name === selectedTopic));
  }
  let refreshing = false;
  async function refreshTopics() {
    if (refreshing) return; // one request at a time, however slow the last one is
    refreshing = true;
    try {
      renderTopics(await getJson("/api/contracts/topics"));
    } catch (error) {
      status("disconnected", "the BFF did not answer: " + error.message);
    } finally {
      refreshing = false;
    }
  }

  // ---------------------------------------------------------------- a topic
  function subjectItem(role, info, topic) {
    const li = el("li");
    if (!info || !info.subject) {
      li.append(el("span", "muted", role + ": no schema (" + (role === "key" ? topic.key.description : "internal topic") + ")"));
      return li;
    }
    if (info.registered === false) {
      const what = role === "key" ? "plain string key, " + topic.key.description : "not registered";
      li.append(el("span", "muted", role + ": " + info.subject + " — " + what));
      return li;
    }
    const button = el("button", "subject-pick");
    button.type = "button";
    button.dataset.subject = info.subject;
    button.append(el("span", "role", role), document.createTextNode(" " + info.subject));
    button.setAttribute("aria-current", String(info.subject === selectedSubject));
    button.addEventListener("click", () => selectSubject(info.subject));
    li.append(button);
    return li;
  }
  function renderTopic(topic) {
    if (!topic) return;
    $("empty-detail").hidden = true;
    $("topic-card").hidden = false;
    $("topic-title").textContent = topic.name;
    $("topic-kind").textContent = topic.kind;
    const dead = topic.deadLetter;
    facts($("topic-facts"), [
      ["Producer", topic.producer],
      ["Consumers", topic.consumers.join(", ")],
      ["Key", topic.key.description],
      ["Partitions", topic.partitions],
      ["Cleanup", topic.cleanupPolicy],
      ["Retention", retention(topic.retentionMs)],
      ["End offset", count(topic.endOffset)],
      ["Rate", rate(topic.messagesPerSecond)],
      ["Dead letters", dead ? dlqBadge(dead) : "none (no DLQ)"],
    ]);
    if (dead) {
      const dd = $("topic-facts").lastChild.querySelector("dd");
      dd.append(el("span", "muted", " " + dead.name));
    }
    const list = $("topic-subjects");
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.subject : null;
    list.replaceChildren(subjectItem("key", topic.key, topic), subjectItem("value", topic.value, topic));
    if (focused) {
      const again = list.querySelector("[data-subject='" + CSS.escape(focused) + "']");
      if (again) again.focus();
    }
  }
  function selectTopic(name, fromClick) {
    selectedTopic = name;
    buttons.forEach((button, n) => button.setAttribute("aria-current", String(n === name)));
    const topic = topics.find((t) => t.name === name);
    renderTopic(topic);
    if (fromClick) {
      selectedSubject = null;
      $("subject-card").hidden = true;
      if (topic && topic.value.subject && topic.value.registered !== false) selectSubject(topic.value.subject);
      // One column (phones): the details are below the list, so bring them into view.
      if (window.matchMedia("(max-width: 900px)").matches) $("topic-card").scrollIntoView({ block: "start" });
    }
    writeHash();
  }

  // -------------------------------------------------------------- a subject
  function options(select, versions, chosen) {
    select.replaceChildren();
    versions.forEach((v) => {
      const option = el("option", null, "v" + v);
      option.value = String(v);
      option.selected = v === chosen;
      select.append(option);
    });
  }
  function renderRules(rows) {
    const body = $("rules-body");
    body.replaceChildren();
    if (!rows.length) {
      const tr = el("tr", "placeholder");
      const td = el("td", null, "no rules on the latest version");
      td.colSpan = 6;
      tr.append(td);
      body.append(tr);
      return;
    }
    rows.forEach((rule) => {
      const tr = el("tr");
      const name = el("td");
      name.append(el("strong", null, rule.name || "—"));
      if (rule.doc) name.append(el("div", "muted", rule.doc));
      if (rule.disabled) name.append(el("div", "muted", "disabled"));
      const expr = el("td");
      expr.append(el("code", null, rule.expr || "—"));
      tr.append(name, el("td", null, (rule.kind || "—") + (rule.group !== "domain" ? " (" + rule.group + ")" : "")),
        el("td", null, rule.mode || "—"), el("td", null, rule.type || "—"), expr, el("td", null, rule.onFailure || "—"));
      body.append(tr);
    });
  }
  function renderMetadata(metadata) {
    const rows = [];
    const props = (metadata && metadata.properties) || {};
    Object.keys(props).sort().forEach((k) => rows.push([k, props[k]]));
    const tags = (metadata && metadata.tags) || {};
    Object.keys(tags).sort().forEach((k) => rows.push(["tags of " + k, [].concat(tags[k]).join(", ")]));
    if (!rows.length) rows.push(["metadata", "none"]);
    facts($("metadata-facts"), rows);
  }
  function subjectError(message) {
    const node = $("subject-error");
    node.textContent = message;
    node.hidden = !message;
    $("subject-body").hidden = Boolean(message);
  }
  async function selectSubject(subject) {
    selectedSubject = subject;
    writeHash();
    document.querySelectorAll(".subject-pick").forEach((b) => b.setAttribute("aria-current", String(b.dataset.subject === subject)));
    $("subject-card").hidden = false;
    $("subject-title").textContent = subject;
    subjectError("");
    $("diff-verdict").hidden = true;
    $("diff-messages").hidden = true;
    $("diff-text").hidden = true;
    let body;
    try {
      body = await getJson("/api/contracts/subjects/" + seg(subject));
    } catch (error) {
      if (selectedSubject === subject) subjectError(error.message);
      return;
    }
    if (selectedSubject !== subject) return; // another subject was picked meanwhile
    const level = body.compatibility.level + " (" + (body.compatibility.source === "subject" ? "set on the subject" : "the global default") + ")";
    facts($("subject-facts"), [
      ["Topic", body.topic],
      ["Role", body.role],
      ["Versions", body.versions.map((v) => "v" + v).join(", ")],
      ["Latest", "v" + body.latest.version + " · id " + body.latest.id + " · " + body.latest.schemaType],
      ["Compatibility", level],
    ]);
    renderRules(body.rules);
    renderMetadata(body.metadata);
    const latest = body.latest.version;
    options($("version-pick"), body.versions, latest);
    const previous = body.versions.length > 1 ? body.versions[body.versions.length - 2] : latest;
    options($("diff-from"), body.versions, previous);
    options($("diff-to"), body.versions, latest);
    await showVersion(subject, latest);
  }
  async function showVersion(subject, version) {
    const pre = $("schema-text");
    try {
      const body = await getJson("/api/contracts/subjects/" + seg(subject) + "/versions/" + seg(String(version)));
      if (selectedSubject !== subject) return;
      pre.textContent = body.pretty;
      const refs = body.references.length ? " · references: " + body.references.map((r) => r.name + " → " + r.subject + " v" + r.version).join(", ") : "";
      $("version-info").textContent = "id " + body.id + " · " + body.schemaType + " · " + body.rules.length + " rules" + refs;
    } catch (error) {
      pre.textContent = "could not load v" + version + ": " + error.message;
    }
  }
  async function showDiff(event) {
    event.preventDefault();
    const subject = selectedSubject;
    if (!subject) return;
    const from = $("diff-from").value;
    const to = $("diff-to").value;
    const verdict = $("diff-verdict");
    const list = $("diff-messages");
    const pre = $("diff-text");
    verdict.hidden = false;
    verdict.dataset.state = "busy";
    verdict.textContent = "comparing v" + from + " with v" + to + "…";
    list.hidden = true;
    pre.hidden = true;
    let body;
    try {
      body = await getJson("/api/contracts/subjects/" + seg(subject) + "/diff?from=" + seg(from) + "&to=" + seg(to));
    } catch (error) {
      verdict.dataset.state = "error";
      verdict.textContent = "✕ " + error.message;
      return;
    }
    if (selectedSubject !== subject) return;
    const c = body.compatibility;
    verdict.dataset.state = c.compatible ? "ok" : "bad";
    verdict.textContent = (c.compatible ? "✓ compatible: " : "✕ incompatible: ") + "v" + body.to.version +
      " against v" + body.from.version + " at " + c.level + (body.identical ? " (the two versions print the same schema)" : "");
    list.replaceChildren();
    c.messages.forEach((m) => list.append(el("li", null, m)));
    list.hidden = !c.messages.length;
    pre.replaceChildren();
    body.lines.forEach((line) => {
      const cls = line.op === "+" ? "add" : line.op === "-" ? "del" : line.op === "@" ? "hunk" : "same";
      const text = line.op === "@" ? line.text : line.op + " " + line.text;
      pre.append(el("span", "line " + cls, text + "\n"));
    });
    if (!body.lines.length) pre.textContent = "no differences";
    pre.hidden = false;
  }

  // ------------------------------------------------------------------ start
  $("version-pick").addEventListener("change", (e) => { if (selectedSubject) showVersion(selectedSubject, e.target.value); });
  $("diff-form").addEventListener("submit", showDiff);

  async function start() {
    await refreshTopics();
    const wanted = readHash();
    if (wanted.topic && buttons.has(wanted.topic)) {
      selectTopic(wanted.topic, false);
      if (wanted.subject) selectSubject(wanted.subject);
    }
    setTimeout(refreshTopics, FIRST_RATE_MS); // a rate needs two samples: the second one soon
    setInterval(refreshTopics, REFRESH_MS);
  }
  start();
})();
