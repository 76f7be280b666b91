// The operator's page: a client of cdpbatchd's REST API like any other. It
// never loads the whole advertiser list (one page of the API's paged list,
// counts from the status), asks again every few seconds, one round at a time,
// and writes what the API says with textContent only, never as HTML.
"use strict";

const API = "/api/v2/batch";
const POLL_MS = 3000;
const PAGE_SIZE = 25;
const TOKEN_KEY = "cdpbatch.token";
const ID = /^[A-Za-z0-9_.-]{1,50}$/;
const LIFECYCLES = ["NEW", "BACKFILLING", "LIVE", "DEGRADED", "DEACTIVATED"];
// Describe calls run at most this many at once, so a page of rows does not
// take all of the API's threads.
const DESCRIBE_PARALLEL = 4;

const $ = (id) => document.getElementById(id);

const view = {
  lifecycle: "",
  search: "",
  // The `after` of each page seen so far: [""] is the first page.
  cursors: [""],
  next: null,
  selected: null,
  selectedMonth: null,
  rounds: 0,
};

class ApiError extends Error {
  constructor(status, error, detail) {
    super(detail || error || `HTTP ${status}`);
    this.status = status;
    this.error = error;
  }
}

function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

async function call(method, path, body) {
  const headers = {};
  if (token()) headers.Authorization = "Bearer " + token();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(API + path, {
      method, headers, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, "unreachable", "cdpbatchd does not answer: " + e.message);
  }
  const text = await res.text();
  let doc = null;
  try { doc = text ? JSON.parse(text) : null; } catch (e) { doc = null; }
  // /health answers 503 with its report when a component is down.
  if (!res.ok && !(path === "/health" && doc && doc.components)) {
    // A token that stops working (the daemon got another) locks the page.
    if (res.status === 401 && view.unlocked) locked(doc && doc.detail);
    throw new ApiError(res.status, doc && doc.error, doc && doc.detail);
  }
  return doc;
}

const get = (path) => call("GET", path);

// ---- small DOM helpers ------------------------------------------------------

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "title") e.title = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return e;
}

function setText(id, value) { $(id).textContent = value ?? "–"; }

// A table's rows, or one row saying it is empty.
function fill(tbody, rows, empty) {
  if (rows.length === 0 && empty) {
    const cols = tbody.parentElement.tHead ? tbody.parentElement.tHead.rows[0].cells.length : 1;
    rows = [el("tr", {}, el("td", { class: "none", colSpan: cols }, empty))];
  }
  tbody.replaceChildren(...rows);
}

function time(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  const today = new Date().toISOString().slice(0, 10);
  const s = d.toISOString();
  return (s.slice(0, 10) === today ? "" : s.slice(0, 10) + " ") + s.slice(11, 19) + " UTC";
}

function seconds(n) {
  if (n < 60) return `${Math.round(n)}s`;
  if (n < 3600) return `${Math.floor(n / 60)}m ${Math.round(n % 60)}s`;
  return `${Math.floor(n / 3600)}h ${Math.floor((n % 3600) / 60)}m`;
}

function banner(text, kind) {
  $("banner-text").textContent = text;
  $("banner").className = kind || "error";
  $("banner").hidden = false;
}

function progressBar(done, total) {
  const pct = total > 0 ? Math.round((100 * done) / total) : 0;
  const bar = el("div", { class: "bar" });
  // Through the CSSOM: the page's policy allows no inline style attribute.
  bar.style.width = pct + "%";
  return el("div", { class: "progress", title: `${done} of ${total} months COMPLETED` },
    bar, el("span", { class: "progress-text" }, `${done}/${total}`));
}

function lifecycleTag(lc) { return el("span", { class: "lifecycle lc-" + lc }, lc); }

function advertiserLink(id) {
  return el("a", { href: "#advertiser=" + encodeURIComponent(id), class: "adv" }, id);
}

// ---- the token ---------------------------------------------------------------

function locked(reason) {
  view.unlocked = false;
  sessionStorage.removeItem(TOKEN_KEY);
  $("dashboard").hidden = true;
  $("login").hidden = false;
  $("forget-token").hidden = true;
  $("login-error").textContent = reason || "";
  $("login-error").hidden = !reason;
  $("token-input").focus();
}

async function unlock() {
  let auth;
  try {
    auth = await get("/auth");
  } catch (e) {
    banner(e.message);
    return false;
  }
  if (!auth.tokenAccepted) return false;
  view.unlocked = true;
  $("login").hidden = true;
  $("login-error").hidden = true;
  $("dashboard").hidden = false;
  $("forget-token").hidden = !auth.tokenRequired;
  // A read token's changes would all be refused (403): the page offers none.
  document.body.classList.toggle("read-only", auth.role === "read");
  $("caller").textContent = auth.tokenRequired ? `${auth.name} (${auth.role})` : "";
  return true;
}

// ---- one round of questions ----------------------------------------------------

function showStatus(s) {
  setText("node-name", "node " + s.node);
  setText("stat-now", time(s.now));
  setText("stat-next-tick", time(s.nextTick));
  setText("stat-busy", s.pool.busy);
  setText("stat-runners", s.pool.runners);
  setText("stat-max", s.pool.maxSize);
  setText("stat-queue", s.pool.queuedLive + s.pool.queuedBackfill);
  setText("stat-queued-live", s.pool.queuedLive);
  setText("stat-queued-backfill", s.pool.queuedBackfill);
  setText("stat-queue-cap", s.pool.queueCapacity);
  setText("stat-running", s.runningJobs);
  setText("stat-total", s.advertisers.total);
  setText("stat-jobs-done", s.pool.jobsDone);
  setText("stat-deferrals", s.pool.deferrals);
  for (const st of ["COMPLETED", "RUNNING", "PENDING", "FAILED"]) setText("stat-months-" + st, s.states[st]);
  for (const lc of LIFECYCLES) setText("count-" + lc, s.lifecycles[lc]);
}

function showHealth(h) {
  for (const id of ["health-badge", "health-status"]) {
    $(id).textContent = h.status;
    $(id).className = "badge " + (h.status === "UP" ? "up" : "down");
  }
  fill($("health").tBodies[0], Object.entries(h.components || {}).map(([name, c]) =>
    el("tr", { "data-component": name },
      el("td", {}, name),
      el("td", {}, el("span", { class: "badge " + (c.status === "UP" ? "up" : "down") }, c.status)),
      el("td", { class: "muted" }, c.detail))));
}

function showNodes(nodes) {
  fill($("nodes").tBodies[0], nodes.map((n) =>
    el("tr", { "data-node": n.nodeId },
      el("td", { title: `${n.host} pid ${n.pid}, started ${time(n.startedAt)}` }, n.nodeId),
      el("td", {}, el("span", { class: "badge " + (n.live ? "up" : "down") }, n.live ? "live" : "gone")),
      el("td", { title: time(n.heartbeatAt) }, seconds(n.heartbeatAgeSeconds) + " ago"),
      el("td", {}, String(n.advertisersOwned)),
      el("td", {}, String(n.runningJobs)))));
}

function showRunning(jobs, total) {
  fill($("running").tBodies[0], jobs.map((j) =>
    el("tr", {},
      el("td", {}, advertiserLink(j.advertiserId)),
      el("td", {}, j.processingMonth),
      el("td", {}, String(j.attempt)),
      el("td", { title: "since " + time(j.startedAt) }, seconds(j.runningSeconds)),
      el("td", {}, j.node))), "nothing running");
  $("running-more").hidden = total <= jobs.length;
  $("running-more").textContent = `${total - jobs.length} more not shown`;
}

function showFailures(failures) {
  fill($("failures").tBodies[0], failures.map((f) =>
    el("tr", {},
      el("td", {}, advertiserLink(f.advertiserId)),
      el("td", {}, f.processingMonth),
      el("td", {}, time(f.finishedAt || f.startedAt)),
      el("td", { class: "error-text" }, f.errorMessage || f.outcome))), "no failed attempt");
}

async function overview() {
  // The console's live frame: status, running jobs and the latest failures
  // in one answer, all bounded however many advertisers there are.
  const [frame, health, nodes] = await Promise.all([get("/watch"), get("/health"), get("/nodes")]);
  showStatus(frame.status);
  showHealth(health);
  showNodes(nodes);
  showRunning(frame.running.slice(0, 50), frame.running.length);
  showFailures(frame.recentFailures);
  for (const b of document.querySelectorAll(".lc"))
    b.classList.toggle("on", b.dataset.lifecycle === view.lifecycle);
}

// Runs `work` over `items`, at most `n` at once; the answers in order.
async function limited(items, n, work) {
  const out = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]);
    }
  });
  await Promise.all(lanes);
  return out;
}

function listQuery() {
  const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (view.lifecycle) q.set("lifecycle", view.lifecycle);
  const after = view.cursors[view.cursors.length - 1];
  if (after) q.set("after", after);
  return "/advertisers?" + q.toString();
}

// The id characters in the order ids sort (by their bytes).
const ID_CHARS = "-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

// The greatest id below `id`: the list `after` it begins with `id` itself.
function justBefore(id) {
  const last = ID_CHARS.indexOf(id[id.length - 1]);
  const stem = id.slice(0, -1);
  return last === 0 ? stem : (stem + ID_CHARS[last - 1]).padEnd(50, "z");
}

// A search is a prefix: the list from the typed id on, cut where ids stop
// beginning with it.
async function advertiserRows() {
  const search = view.search;
  if (search && view.cursors.length === 1) view.cursors[0] = justBefore(search);
  const page = await get(listQuery());
  let rows = page.advertisers;
  let next = page.next;
  if (search) {
    const matching = rows.filter((a) => a.advertiserId.startsWith(search));
    if (matching.length < rows.length) next = null;
    rows = matching;
  }
  view.next = next;
  // The list has no `why` and `eta`: each row on the page is described.
  const details = await limited(rows, DESCRIBE_PARALLEL, (a) =>
    get("/advertisers/" + encodeURIComponent(a.advertiserId)).catch(() => null));
  return rows.map((a, i) => Object.assign({}, a, details[i] || {}));
}

async function table() {
  const rows = await advertiserRows();
  fill($("advertisers").tBodies[0], rows.map((a) =>
    el("tr", { "data-id": a.advertiserId, class: a.advertiserId === view.selected ? "selected" : "" },
      el("td", {}, advertiserLink(a.advertiserId)),
      el("td", {}, a.name),
      el("td", {}, lifecycleTag(a.lifecycle)),
      el("td", {}, progressBar(a.completedMonths, a.totalMonths)),
      el("td", { class: "why" }, a.why ?? "–"),
      el("td", {}, a.eta ? time(a.eta) : "–"))));
  $("advertisers-empty").hidden = rows.length > 0;
  $("page-first").disabled = view.cursors.length === 1;
  $("page-prev").disabled = view.cursors.length === 1;
  $("page-next").disabled = !view.next;
  const filter = [view.lifecycle, view.search && `id from “${view.search}”`].filter(Boolean).join(", ");
  $("page-label").textContent = `page ${view.cursors.length}` + (filter ? ` · ${filter}` : "");
}

function monthCell(m) {
  const retrying = m.status === "FAILED" && m.nextAttemptAt;
  const st = retrying ? "RETRYING" : m.status;
  const tip = [`${m.processingMonth} ${m.status}`, `retries ${m.retryCount}/${m.maxRetries}`,
    `records ${m.processedRecords} processed, ${m.failedRecords} failed`,
    m.nextAttemptAt && `next attempt ${time(m.nextAttemptAt)}`, m.errorMessage].filter(Boolean).join("\n");
  return el("button", {
    type: "button", class: `cell st-${st}` + (m.processingMonth === view.selectedMonth ? " chosen" : ""),
    title: tip, "data-month": m.processingMonth, "data-status": m.status,
  }, m.processingMonth.slice(2));
}

async function detail() {
  try {
    await describeSelected();
  } catch (e) {
    if (e.status === 401 || e.status === 0) throw e;
    $("detail-fields").replaceChildren(el("dd", { class: "error-text" }, e.message));
    $("month-grid").replaceChildren();
    fill($("attempts").tBodies[0], []);
  }
}

async function describeSelected() {
  const id = view.selected;
  $("detail").hidden = !id;
  if (!id) return;
  const path = "/advertisers/" + encodeURIComponent(id);
  const month = view.selectedMonth;
  const [d, months, attempts] = await Promise.all([
    get(path), get(path + "/processing-states"),
    month ? get(`${path}/months/${month}/attempts`) : Promise.resolve(null),
  ]);
  if (id !== view.selected) return;
  setText("detail-id", d.advertiserId);
  $("detail-lifecycle").replaceChildren(lifecycleTag(d.lifecycle));
  const fields = [
    ["Name", d.name], ["Type", d.advertiserType], ["Active", d.active ? "yes" : "no"],
    ["Why", d.why], ["ETA", d.eta ? time(d.eta) : "–"],
    ["Progress", `${d.completedMonths}/${d.totalMonths} completed (${d.progressPercent}%), ${d.failedMonths} failed, ${d.runningMonths} running, ${d.pendingMonths} pending`],
    ["Cursor", d.currentProcessingMonth], ["Last completed", d.lastCompletedMonth],
    ["Backfill from", d.backfillStartMonth], ["Deactivated because", d.deactivationReason],
  ];
  $("detail-fields").replaceChildren(...fields.flatMap(([k, v]) =>
    [el("dt", {}, k), el("dd", { "data-field": k }, v === null || v === undefined ? "–" : String(v))]));
  $("month-grid").replaceChildren(...months.map(monthCell));
  $("act-activate").hidden = d.active;
  $("act-deactivate").hidden = !d.active;
  $("act-retry").hidden = !month;
  $("act-retry").textContent = month ? `Retry ${month}` : "Retry month";
  $("attempts-title").textContent = month ? `Attempts of ${month}` : "Latest attempts";
  const list = month ? attempts.map((a) => Object.assign({ processingMonth: month }, a)) : d.recentAttempts;
  fill($("attempts").tBodies[0], list.map((a) =>
    el("tr", { class: "outcome-" + a.outcome },
      el("td", {}, a.processingMonth), el("td", {}, String(a.attempt) + (a.probe ? " (probe)" : "")),
      el("td", {}, time(a.startedAt)), el("td", {}, time(a.finishedAt)),
      el("td", {}, a.outcome), el("td", {}, a.node), el("td", { class: "error-text" }, a.errorMessage || ""))),
    "no attempt yet");
}

// One round at a time: a refresh asked for during a round runs once after it.
let inRound = false;
let roundAgain = false;
let timer = null;

async function refresh() {
  if (inRound) { roundAgain = true; return; }
  inRound = true;
  clearTimeout(timer);
  do {
    roundAgain = false;
    if (!view.unlocked) break;
    try {
      await Promise.all([overview(), table(), detail()]);
      view.rounds += 1;
      document.body.dataset.rounds = String(view.rounds);
      $("refreshed").textContent = "updated " + new Date().toISOString().slice(11, 19) + " UTC";
      $("refreshed").classList.remove("stale");
    } catch (e) {
      if (e.status === 401) break;
      $("refreshed").textContent = "not updated: " + e.message;
      $("refreshed").classList.add("stale");
    }
  } while (roundAgain);
  inRound = false;
  if (view.unlocked) timer = setTimeout(tick, POLL_MS);
}

function tick() {
  // A hidden tab asks nothing; it catches up when shown again.
  if (document.hidden) { timer = setTimeout(tick, POLL_MS); return; }
  refresh();
}

// ---- actions: each asks first, then shows the API's answer ---------------------

const confirmDialog = $("confirm");

// Resolves with the reason typed (the audit trail's), or null when cancelled.
function confirmed(text, reasonRequired) {
  return new Promise((resolve) => {
    $("confirm-text").textContent = text;
    $("confirm-reason").value = "";
    $("confirm-reason").required = reasonRequired;
    confirmDialog.returnValue = "";
    confirmDialog.addEventListener("close",
      () => resolve(confirmDialog.returnValue === "ok" ? $("confirm-reason").value : null), { once: true });
    confirmDialog.showModal();
  });
}

async function act(question, method, path, body, done, reasonRequired = false) {
  const reason = await confirmed(question, reasonRequired);
  if (reason === null) return false;
  try {
    const answer = await call(method, path, reason ? { ...body, reason } : body);
    banner(done(answer), "ok");
    refresh();
    return true;
  } catch (e) {
    banner(`Refused (${e.status || "no answer"}${e.error ? " " + e.error : ""}): ${e.message}`);
    return false;
  }
}

function selectedPath() { return "/advertisers/" + encodeURIComponent(view.selected); }

function wire() {
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token-input").value);
    $("token-input").value = "";
    if (await unlock()) refresh();
    else {
      sessionStorage.removeItem(TOKEN_KEY);
      $("login-error").textContent = "That token was refused.";
      $("login-error").hidden = false;
    }
  });
  $("forget-token").addEventListener("click", () => locked());
  $("banner-close").addEventListener("click", () => { $("banner").hidden = true; });

  const restart = () => { view.cursors = [""]; view.next = null; refresh(); };
  $("filter-lifecycle").addEventListener("change", (ev) => { view.lifecycle = ev.target.value; restart(); });
  for (const b of document.querySelectorAll(".lc"))
    b.addEventListener("click", () => {
      view.lifecycle = view.lifecycle === b.dataset.lifecycle ? "" : b.dataset.lifecycle;
      $("filter-lifecycle").value = view.lifecycle;
      restart();
    });
  const search = (ev) => {
    ev.preventDefault();
    const text = $("search").value.trim();
    if (text && !ID.test(text))
      return banner(`“${text.slice(0, 60)}” is no advertiser id: 1–50 characters of A–Z a–z 0–9 _ . -`);
    view.search = text;
    restart();
  };
  $("search-form").addEventListener("submit", search);
  $("search").addEventListener("search", search);
  $("page-first").addEventListener("click", restart);
  $("page-prev").addEventListener("click", () => { view.cursors.pop(); refresh(); });
  $("page-next").addEventListener("click", () => {
    if (view.next) { view.cursors.push(view.next); refresh(); }
  });

  window.addEventListener("hashchange", select);
  $("detail-close").addEventListener("click", () => { location.hash = ""; });
  $("month-grid").addEventListener("click", (ev) => {
    const cell = ev.target.closest(".cell");
    if (!cell) return;
    view.selectedMonth = view.selectedMonth === cell.dataset.month ? null : cell.dataset.month;
    refresh();
  });

  $("act-trigger").addEventListener("click", () =>
    act(`Run what is due for ${view.selected} now?`, "POST", selectedPath() + "/trigger", undefined,
      (a) => `Triggered ${a.advertiserId}.`));
  $("act-activate").addEventListener("click", () =>
    act(`Activate ${view.selected}? It resumes at its stored cursor.`, "POST", selectedPath() + "/activate",
      undefined, (a) => `${a.advertiserId} is active.`));
  $("act-deactivate").addEventListener("click", () =>
    act(`Deactivate ${view.selected}? It claims no new months; a running attempt finishes.`, "POST",
      selectedPath() + "/deactivate", undefined, (a) => `${a.advertiserId} is deactivated.`, true));
  $("act-retry").addEventListener("click", () =>
    act(`Retry ${view.selected} ${view.selectedMonth}? Its retry count is reset and it runs now.`, "POST",
      `${selectedPath()}/retry/${view.selectedMonth}`, undefined,
      (m) => `${m.advertiserId} ${m.processingMonth} is ${m.status}.`));

  $("create-open").addEventListener("click", () => {
    $("create-error").hidden = true;
    $("create-form").reset();
    $("create").showModal();
  });
  $("create").addEventListener("close", async () => {
    if ($("create").returnValue !== "ok") return;
    const body = { advertiserId: $("create-id").value.trim(), name: $("create-name").value, type: $("create-type").value };
    const made = await act(`Create advertiser ${body.advertiserId} (${body.type})?`, "POST", "/advertisers", body,
      (a) => `Created ${a.advertiserId}: ${a.totalMonths} month(s) to process.`);
    if (made) location.hash = "advertiser=" + encodeURIComponent(body.advertiserId);
  });
}

function select() {
  const m = /^#advertiser=(.+)$/.exec(location.hash);
  const id = m ? decodeURIComponent(m[1]) : null;
  if (id !== view.selected) view.selectedMonth = null;
  view.selected = id;
  refresh();
}

async function start() {
  wire();
  const m = /^#advertiser=(.+)$/.exec(location.hash);
  view.selected = m ? decodeURIComponent(m[1]) : null;
  if (await unlock()) refresh();
  else if ($("dashboard").hidden) locked();
}

start();
