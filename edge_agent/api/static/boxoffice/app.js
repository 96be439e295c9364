// Gatehouse box office: the iPad page. Talks to the agent that served it, nothing else.
//
// Why it is shaped like this:
// * A sale is "sold" only when the agent answered 201/200 (it answers after the ledger
//   commit). Every attempt carries a request_id made here; after a network error or a 5xx
//   the same body is kept (also in localStorage, so a reload keeps it) and "Retry" sends
//   it again with the same id, so the agent can never sell it twice.
// * The token lives in localStorage, got by exchanging a one-time pairing code
//   (/api/v1/pair?code=… redirects here with #pair=CODE).
// * Figures come over a WebSocket (/api/v1/boxoffice/ws), reconnecting with backoff.
// * In a venue mesh the page learns the other boxes (GET /api/v1/mesh). When its own box
//   stops answering it offers the ones that answer and moves there with its token in a
//   URL fragment (handoff.js). An unsold sale never moves: it stays kept for the box it
//   was sent to and is retried only there, with the same request_id.
"use strict";

const TOKEN_KEY = "gatehouse.boxoffice.token";
const PENDING_KEY = "gatehouse.boxoffice.pending";
const TERMINAL_KEY = "gatehouse.boxoffice.terminal";
const DEVICE_KEY = "gatehouse.boxoffice.device";
const MEMBERS_KEY = "gatehouse.boxoffice.members";
const MOVED_KEY = "gatehouse.boxoffice.moved";
const REQUEST_TIMEOUT_MS = 10000;
// Failover: the box is checked every POLL_MS (every POLL_DOWN_MS once a call failed);
// DOWN_AFTER calls in a row without an answer and the page offers the other boxes.
const POLL_MS = 5000;
const POLL_DOWN_MS = 1500;
const CHECK_TIMEOUT_MS = 4000;
const PROBE_TIMEOUT_MS = 2500;
const DOWN_AFTER = 2;

const $ = (id) => document.getElementById(id);

const state = {
  token: localStorage.getItem(TOKEN_KEY),
  figures: null,
  cart: new Map(), // ticket_type -> quantity
  method: "cash",
  delivery: "screen",
  receipt: null,
  screen: null,
  ws: null,
  wsRetry: 0,
  wsUp: false,
  busy: false,
  mesh: loadJson(MEMBERS_KEY), // {self, members: [{name, gate, api, up}]} or null
  fails: 0, // calls in a row that got no answer
  down: false, // the box that served the page is not answering
  probes: new Map(), // member name -> "checking" | "up" | "down"
  pollTimer: null,
  polling: false,
  alone: false, // the box said it is in no mesh: nothing to poll for
};

// ---------------------------------------------------------------- helpers

function loadJson(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch (e) {
    return null;
  }
}

/** A v4 UUID; crypto.randomUUID exists only in secure contexts (LAN pages are http). */
function newRequestId() {
  if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function money(cents) {
  const currency = (state.figures && state.figures.currency) || "EUR";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(cents / 100);
  } catch (e) {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/** "100", "100.5", "100,50" -> cents; null when it is not an amount. */
function parseCents(text) {
  const t = String(text || "").trim().replace(",", ".");
  if (!/^\d+(\.\d{0,2})?$/.test(t)) return null;
  const [whole, frac = ""] = t.split(".");
  return parseInt(whole, 10) * 100 + parseInt((frac + "00").slice(0, 2), 10);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function showError(message) {
  const b = $("banner");
  b.textContent = message;
  b.hidden = false;
  window.scrollTo({ top: 0 });
}

function clearError() {
  $("banner").hidden = true;
  $("banner").textContent = "";
}

function showWarning(message) {
  $("warning").textContent = message;
  $("warning").hidden = !message;
}

class Unreachable extends Error {}

/** One call to the agent: {status, doc}; throws Unreachable when no answer came.
 *  opts: timeoutMs; token (try another token: a 401 then unpairs nothing). */
async function api(method, path, body, opts = {}) {
  const headers = { Accept: "application/json" };
  const token = opts.token || state.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.timeoutMs || REQUEST_TIMEOUT_MS);
  let resp;
  try {
    resp = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort.signal,
      cache: "no-store",
    });
  } catch (e) {
    noteNoAnswer();
    throw new Unreachable("agent unreachable");
  } finally {
    clearTimeout(timer);
  }
  noteAnswer();
  let doc = null;
  try {
    doc = await resp.json();
  } catch (e) {
    doc = null;
  }
  if (resp.status === 401 && path !== "/api/v1/pair" && !opts.token) {
    unpair("This iPad's pairing was revoked or is unknown to the agent: pair it again.");
  }
  return { status: resp.status, doc };
}

function errorText(res) {
  const err = res.doc && res.doc.error;
  if (err && err.message) return `${err.message} (${err.code})`;
  return `the agent answered ${res.status}`;
}

function errorCode(res) {
  return (res.doc && res.doc.error && res.doc.error.code) || null;
}

// ---------------------------------------------------------------- screens

function show(screen) {
  state.screen = screen;
  for (const s of document.querySelectorAll(".screen")) s.hidden = s.id !== `screen-${screen}`;
  const paired = Boolean(state.token);
  const session = state.figures && state.figures.session;
  $("nav").hidden = !(paired && session);
  for (const b of document.querySelectorAll("#nav .navbtn")) {
    b.classList.toggle("on", b.dataset.go === screen);
  }
  if (screen === "sales") loadSales();
  if (screen === "close") renderClose();
}

/** The screen the figures call for, unless the operator is looking at a receipt. */
function route() {
  if (!state.token) return show("pair");
  if (!state.figures) return;
  if (!state.figures.session) {
    if (state.screen !== "close") show("open");
    return;
  }
  if (state.screen === null || state.screen === "open" || state.screen === "pair") show("sell");
}

// ---------------------------------------------------------------- pairing

function unpair(message) {
  localStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.figures = null;
  clearTimeout(state.pollTimer);
  state.pollTimer = null;
  if (state.ws) state.ws.close();
  setLink(false, "not paired");
  show("pair");
  if (message) showError(message);
}

async function pair(code, name) {
  clearError();
  $("pair-submit").disabled = true;
  try {
    const res = await api("POST", "/api/v1/pair", { code, name: name || "iPad box office" });
    if (res.status !== 201) return showError(`Pairing failed: ${errorText(res)}`);
    if (res.doc.role !== "box_office" && res.doc.role !== "supervisor") {
      return showError(`That code is for a ${res.doc.role} device; ask for a box-office code.`);
    }
    state.token = res.doc.token;
    localStorage.setItem(TOKEN_KEY, state.token);
    localStorage.setItem(DEVICE_KEY, name || "iPad box office");
    $("pair-code").value = "";
    connect();
    schedulePoll(0);
    await refresh();
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
    showError("Agent unreachable: pairing did not happen. Check the Wi-Fi and try again.");
  } finally {
    $("pair-submit").disabled = false;
  }
}

// ---------------------------------------------------------------- figures

async function refresh() {
  if (!state.token) return;
  try {
    const res = await api("GET", "/api/v1/boxoffice");
    if (res.status === 200) applyFigures(res.doc);
    else if (res.status !== 401) showError(`Could not load the box office: ${errorText(res)}`);
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
    setLink(false, "agent unreachable");
    // loaded from the service worker's copy: the unsold sale must be in sight
    if (state.screen === null && loadPending()) show("sell");
  }
}

function applyFigures(figures) {
  state.figures = figures;
  const ev = figures.event || {};
  $("event-name").textContent = ev.name ? `${ev.name} · ${ev.venue || ""}` : "Box office";
  const s = figures.session;
  $("session-line").textContent = s
    ? `${s.operator} · ${s.sales} sold · drawer ${money(s.cash_in_drawer_cents)}`
    : "till closed";
  if (!state.wsUp) setLink(true, "online");
  renderTypes();
  route();
}

function setLink(up, text) {
  const l = $("link");
  l.className = up ? "link-up" : "link-down";
  l.textContent = text;
}

// ---------------------------------------------------------------- websocket

function connect() {
  if (!state.token || state.ws) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/boxoffice/ws`);
  state.ws = ws;
  ws.onopen = () => ws.send(JSON.stringify({ auth: state.token }));
  ws.onmessage = (msg) => {
    let doc;
    try {
      doc = JSON.parse(msg.data);
    } catch (e) {
      return;
    }
    if (doc.type === "figures") {
      state.wsRetry = 0;
      state.wsUp = true;
      setLink(true, "live");
      applyFigures(doc.figures);
    } else if (doc.error && doc.error.code === "unauthorized") {
      unpair("This iPad's pairing was revoked or is unknown to the agent: pair it again.");
    }
  };
  ws.onclose = () => {
    state.ws = null;
    state.wsUp = false;
    if (!state.token) return;
    const delay = Math.min(10000, 500 * 2 ** state.wsRetry);
    state.wsRetry += 1;
    setLink(false, `agent unreachable · retrying in ${Math.round(delay / 1000) || 1}s`);
    setTimeout(connect, delay);
  };
}

// ---------------------------------------------------------------- failover

function selfMember() {
  const m = state.mesh;
  if (!m) return null;
  return m.members.find((x) => x.name === m.self) || { name: m.self, gate: "", api: "" };
}

function otherMembers() {
  const m = state.mesh;
  if (!m) return [];
  return m.members.filter((x) => x.name !== m.self && x.api);
}

function boxLabel(member) {
  return member.gate ? `${member.name} (${member.gate})` : member.name;
}

function validMembers(doc) {
  return Boolean(doc) && typeof doc.self === "string" && Array.isArray(doc.members) &&
    doc.members.every((x) => x && typeof x.name === "string" && typeof x.api === "string" &&
      typeof x.gate === "string");
}

function schedulePoll(ms) {
  clearTimeout(state.pollTimer);
  state.pollTimer = state.token ? setTimeout(pollBox, ms) : null;
}

/** The status poll: learns the venue's boxes, and notices when this one stops answering. */
async function pollBox() {
  state.pollTimer = null;
  if (!state.token || state.polling) return;
  state.polling = true;
  try {
    const res = await api("GET", "/api/v1/mesh", undefined, { timeoutMs: CHECK_TIMEOUT_MS });
    if (res.status === 200 && validMembers(res.doc)) {
      state.alone = false;
      state.mesh = { self: res.doc.self, members: res.doc.members };
      localStorage.setItem(MEMBERS_KEY, JSON.stringify(state.mesh));
    } else if (res.status === 404 && errorCode(res) === "mesh_not_enabled") {
      // a box on its own: nowhere to move to, nothing to watch for
      state.alone = true;
      state.mesh = null;
      localStorage.removeItem(MEMBERS_KEY);
      return;
    }
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
  } finally {
    state.polling = false;
  }
  if (state.down) probeMembers();
  if (!state.pollTimer) schedulePoll(state.fails > 0 ? POLL_DOWN_MS : POLL_MS);
}

/** A call got no answer: after DOWN_AFTER in a row the page offers the other boxes. */
function noteNoAnswer() {
  state.fails += 1;
  if (state.fails >= DOWN_AFTER && !state.down && otherMembers().length > 0) {
    state.down = true;
    state.probes = new Map(otherMembers().map((x) => [x.name, "checking"]));
    renderFailover();
    probeMembers();
  }
  if (state.token && !state.polling && !state.alone) schedulePoll(POLL_DOWN_MS);
}

function noteAnswer() {
  state.fails = 0;
  if (state.down) {
    state.down = false;
    renderFailover();
  }
}

/** Which other boxes answer: a no-cors GET of their page's manifest. The answer is opaque
 *  (the API grants no CORS, and nothing is read), but that an answer came proves the box
 *  is up; no token is sent. */
function probeMembers() {
  for (const member of otherMembers()) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), PROBE_TIMEOUT_MS);
    fetch(`${member.api.replace(/\/+$/, "")}/boxoffice/manifest.webmanifest`, {
      mode: "no-cors", cache: "no-store", credentials: "omit", signal: abort.signal,
    })
      .then(() => "up", () => "down")
      .then((seen) => {
        clearTimeout(timer);
        state.probes.set(member.name, seen);
        if (state.down) renderFailover();
      });
  }
}

function pendingSummary(pending) {
  const tickets = pending.body.items.reduce((a, i) => a + i.quantity, 0);
  return { tickets, method: pending.body.payment.method };
}

function renderFailover() {
  const box = $("failover");
  if (!state.down || !state.mesh) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const me = selfMember();
  const members = otherMembers();
  const up = members.filter((x) => state.probes.get(x.name) === "up");
  const rest = members.filter((x) => state.probes.get(x.name) !== "up");
  const parts = [
    el("strong", { class: "failover-title" }, `${boxLabel(me)} is not answering.`),
    el("p", {}, up.length > 0
      ? "Continue at another box of the venue: this iPad's pairing works there. " +
        `The till and the leased tickets stay with ${me.name}: open a till at the new box to sell there.`
      : "No other box answers either: check the Wi-Fi. This page keeps checking."),
  ];
  if (up.length > 0) {
    parts.push(el("div", { class: "row" }, ...up.map((x) =>
      el("button", {
        type: "button", class: "big primary", "data-testid": `move-${x.name}`,
        onclick: () => moveTo(x),
      }, `Continue at ${boxLabel(x)}`))));
  }
  for (const x of rest) {
    const seen = state.probes.get(x.name) === "down" ? "not answering either" : "checking…";
    parts.push(el("div", { class: "meta" }, `${boxLabel(x)}: ${seen}`));
  }
  const pending = loadPending();
  if (pending) {
    const k = pendingSummary(pending);
    parts.push(el("p", { class: "kept", "data-testid": "kept-here" },
      `The sale that was not sold (${k.tickets} ticket(s), ${k.method}) stays kept for ${me.name} ` +
      "and is never sent to another box. Come back to this page when " +
      `${me.name} answers and tap Retry sale: it goes with the same request id, never sold twice.`));
  }
  box.replaceChildren(...parts);
  box.hidden = false;
}

/** Go to another box's page; the token travels in the fragment, the unsold sale does not. */
function moveTo(member) {
  const me = selfMember();
  const pending = loadPending();
  const fragment = window.GatehouseHandoff.encodeHandoff({
    token: state.token,
    device: localStorage.getItem(DEVICE_KEY) || "iPad box office",
    from: { name: me.name, gate: me.gate, url: location.origin },
    kept: pending ? pendingSummary(pending) : null,
  });
  location.assign(`${member.api.replace(/\/+$/, "")}/boxoffice/${fragment}`);
}

/** Arrived from another box with "#handoff=…" (already removed from the address bar):
 *  keep its token if this box takes it. A token already kept here is replaced only then. */
async function adoptHandoff(h) {
  let res = null;
  try {
    res = await api("GET", "/api/v1/boxoffice", undefined, { token: h.token });
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
  }
  if (res !== null && res.status !== 200) {
    showError(`This box did not take the pairing from ${h.from.name}: ${errorText(res)}. ` +
      "Pair this iPad here, or go back to that box's page.");
    return false;
  }
  if (res === null && state.token) return false; // no answer: keep what works here
  state.token = h.token;
  localStorage.setItem(TOKEN_KEY, h.token);
  localStorage.setItem(DEVICE_KEY, h.device);
  localStorage.setItem(MOVED_KEY, JSON.stringify({ from: h.from, kept: h.kept }));
  renderMoved();
  if (res !== null) applyFigures(res.doc);
  return true;
}

/** The note on the page the iPad moved to: where it came from, and where its unsold sale is. */
function renderMoved() {
  const moved = loadJson(MOVED_KEY);
  const box = $("moved");
  if (!moved || !moved.from) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const from = moved.from;
  const parts = [
    el("strong", {}, `Moved here from ${boxLabel(from)}, which stopped answering.`),
    el("p", {}, `The till stays with ${from.name}: open a till at this box to sell here.`),
  ];
  if (moved.kept) {
    parts.push(el("p", { class: "kept", "data-testid": "kept-elsewhere" },
      `A sale that was not sold (${moved.kept.tickets} ticket(s), ${moved.kept.method}) is kept ` +
      `for ${from.name}, on its page — not here. When ${from.name} answers again, go back to ` +
      "its page and tap Retry sale (same request id: never sold twice)."));
  }
  parts.push(el("div", { class: "row" },
    el("a", { class: "button big", href: `${from.url}/boxoffice/`, "data-testid": "back-to-box" },
      `Back to ${from.name}'s page`),
    el("button", {
      type: "button", class: "big",
      onclick: () => { localStorage.removeItem(MOVED_KEY); renderMoved(); },
    }, "Dismiss")));
  box.replaceChildren(...parts);
  box.hidden = false;
}

// ---------------------------------------------------------------- open / close

async function openSession(operator, floatText) {
  clearError();
  const float = parseCents(floatText);
  if (float === null) return showError("Cash float: type an amount like 100 or 100.00");
  $("open-submit").disabled = true;
  try {
    const res = await api("POST", "/api/v1/boxoffice/sessions", {
      operator,
      float_cents: float,
    });
    if (res.status !== 201 && errorCode(res) !== "session_open") {
      return showError(`Could not open the till: ${errorText(res)}`);
    }
    await refresh();
    show("sell");
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
    showError("Agent unreachable: the till is not open. Try again when the agent is back.");
  } finally {
    $("open-submit").disabled = false;
  }
}

function renderClose() {
  const s = state.figures && state.figures.session;
  $("close-result").hidden = true;
  $("close-form").hidden = false;
  $("close-expected").textContent = s
    ? `${s.operator}: float ${money(s.float_cents)}, ${s.sales} sales, ${s.voids} voids.`
    : "";
}

async function closeSession(countedText) {
  clearError();
  const counted = parseCents(countedText);
  if (counted === null) return showError("Counted cash: type an amount like 145.50");
  $("close-submit").disabled = true;
  try {
    const res = await api("POST", "/api/v1/boxoffice/sessions/current/close", {
      counted_cents: counted,
    });
    if (res.status !== 200) return showError(`Could not close the till: ${errorText(res)}`);
    const d = res.doc;
    const diff = d.difference_cents;
    $("close-form").hidden = true;
    const box = $("close-result");
    box.replaceChildren(
      el("div", {}, `Expected in the drawer: ${money(d.expected_cents)}`),
      el("div", {}, `Counted: ${money(d.counted_cents)}`),
      el("div", { class: diff === 0 ? "change" : "voided" },
        diff === 0 ? "The drawer is right." : `Difference: ${money(diff)}`),
      el("button", { type: "button", class: "big primary", onclick: () => show("open") },
        "Open a new session"),
    );
    box.hidden = false;
    $("close-counted").value = "";
    await refresh();
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
    showError("Agent unreachable: the till is still open. Try again when the agent is back.");
  } finally {
    $("close-submit").disabled = false;
  }
}

// ---------------------------------------------------------------- selling

function renderTypes() {
  const box = $("types");
  const types = (state.figures && state.figures.ticket_types) || [];
  const locked = Boolean(loadPending());
  box.replaceChildren(
    ...types.map((t) => {
      const qty = state.cart.get(t.ticket_type) || 0;
      const priced = typeof t.price_cents === "number";
      const stepper = el(
        "div",
        { class: "stepper" },
        el("button", {
          type: "button", "aria-label": `one less ${t.name}`, disabled: locked || qty === 0,
          "data-testid": `minus-${t.ticket_type}`, onclick: () => step(t.ticket_type, -1),
        }, "−"),
        el("span", { class: "qty", "data-testid": `qty-${t.ticket_type}` }, qty),
        el("button", {
          type: "button", "aria-label": `one more ${t.name}`, disabled: locked || !priced || qty >= t.sellable,
          "data-testid": `plus-${t.ticket_type}`, onclick: () => step(t.ticket_type, 1),
        }, "+"),
      );
      return el(
        "div",
        { class: t.sellable > 0 ? "type" : "type soldout", "data-type": t.ticket_type },
        el("div", { class: "name" }, `${t.name} · ${priced ? money(t.price_cents) : "no price yet"}`),
        stepper,
        el("div", { class: "meta" },
          el("div", {}, t.sellable > 0 ? `${t.sellable} sellable here` : "none leased here"),
          el("div", {}, `${t.sold_here} sold here · ${t.scanned} in`)),
      );
    }),
  );
  renderTotal();
}

function step(ticketType, delta) {
  const t = state.figures.ticket_types.find((x) => x.ticket_type === ticketType);
  const next = Math.max(0, Math.min(t ? t.sellable : 0, (state.cart.get(ticketType) || 0) + delta));
  if (next === 0) state.cart.delete(ticketType);
  else state.cart.set(ticketType, next);
  renderTypes();
}

function cartTotal() {
  let total = 0;
  for (const t of (state.figures && state.figures.ticket_types) || []) {
    total += (state.cart.get(t.ticket_type) || 0) * (t.price_cents || 0);
  }
  return total;
}

function renderTotal() {
  const total = cartTotal();
  $("total").textContent = money(total);
  const quick = $("cash-quick");
  const options = [total];
  for (const note of [1000, 2000, 5000, 10000, 20000]) {
    const up = Math.ceil(total / note) * note;
    if (up > total && !options.includes(up) && options.length < 4) options.push(up);
  }
  quick.replaceChildren(
    ...(total > 0 ? options : []).map((c) =>
      el("button", {
        type: "button", class: "big",
        onclick: () => { $("cash-tendered").value = (c / 100).toFixed(2); renderChange(); },
      }, c === total ? `Exact ${money(c)}` : money(c)),
    ),
  );
  renderChange();
}

function renderChange() {
  const tendered = parseCents($("cash-tendered").value);
  const total = cartTotal();
  $("cash-change").textContent =
    tendered === null ? "—" : tendered < total ? `${money(total - tendered)} short` : money(tendered - total);
}

function choose(group, attr, value) {
  for (const b of document.querySelectorAll(`#${group} .seg`)) {
    b.classList.toggle("on", b.dataset[attr] === value);
  }
}

function setMethod(method) {
  state.method = method;
  choose("method-choice", "method", method);
  for (const m of ["cash", "terminal", "comp"]) $(`pay-${m}`).hidden = m !== method;
}

function setDelivery(delivery) {
  state.delivery = delivery;
  choose("delivery-choice", "delivery", delivery);
}

/** The request body from the form, or an error text for the operator. */
function saleBody() {
  const items = [...state.cart.entries()].map(([ticket_type, quantity]) => ({ ticket_type, quantity }));
  if (items.length === 0) return "Choose at least one ticket.";
  let payment;
  if (state.method === "cash") {
    const tendered = parseCents($("cash-tendered").value);
    if (tendered === null) return "Cash: type what the customer handed over.";
    if (tendered < cartTotal()) return `Cash: ${money(cartTotal() - tendered)} short.`;
    payment = { method: "cash", tendered_cents: tendered };
  } else if (state.method === "terminal") {
    const last4 = $("term-last4").value.trim();
    if (!/^\d{4}$/.test(last4)) return "Card: type the last 4 digits from the terminal slip.";
    payment = {
      method: "terminal",
      brand: $("term-brand").value,
      last4,
      auth_ref: $("term-auth").value.trim(),
      terminal_id: $("term-id").value.trim(),
    };
    if (!payment.auth_ref || !payment.terminal_id) return "Card: auth ref and terminal id are needed.";
    localStorage.setItem(TERMINAL_KEY, payment.terminal_id);
  } else {
    payment = {
      method: "comp",
      reason: $("comp-reason").value.trim(),
      supervisor: $("comp-supervisor").value.trim(),
    };
    if (!payment.reason || !payment.supervisor) return "Comp: a reason and the supervisor's name.";
  }
  const body = { items, payment, delivery: state.delivery };
  const name = $("cust-name").value.trim();
  const email = $("cust-email").value.trim();
  if (state.delivery === "email" && !email) return "Email delivery needs the customer's email.";
  if (name || email) {
    body.customer = {};
    if (name) body.customer.name = name;
    if (email) body.customer.email = email;
  }
  return body;
}

function loadPending() {
  return loadJson(PENDING_KEY);
}

function savePending(pending) {
  if (pending) localStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  else localStorage.removeItem(PENDING_KEY);
  renderPending();
}

function renderPending() {
  const pending = loadPending();
  $("pending").hidden = !pending;
  $("sell").hidden = Boolean(pending);
  if (pending) {
    const n = pending.body.items.reduce((a, i) => a + i.quantity, 0);
    $("pending-text").textContent =
      ` ${n} ticket(s), ${pending.body.payment.method}. Nothing was recorded as sold. ` +
      "Retry sends the same sale again (it can never be sold twice); " +
      "discard it only if the customer has left.";
  }
  if (state.figures) renderTypes();
  if (state.down) renderFailover();
}

async function sell() {
  clearError();
  const body = saleBody();
  if (typeof body === "string") return showError(body);
  savePending({ request_id: newRequestId(), body, at: Date.now() });
  await sendPending();
}

/** Send the pending sale (same request_id every time) until the agent answers. */
async function sendPending() {
  const pending = loadPending();
  if (!pending || state.busy) return;
  state.busy = true;
  $("sell").disabled = true;
  $("pending-retry").disabled = true;
  try {
    const res = await api("POST", "/api/v1/boxoffice/sales", { request_id: pending.request_id, ...pending.body });
    if (res.status === 201 || res.status === 200) {
      savePending(null);
      clearError();
      resetCart();
      showReceipt(res.doc);
      refresh();
    } else if (res.status >= 500) {
      showError(`Not sold — the agent could not record it: ${errorText(res)}. Retry.`);
      renderPending();
    } else {
      // A refusal: nothing was recorded; the operator changes the sale and tries again.
      savePending(null);
      showError(`Not sold: ${errorText(res)}`);
      if (errorCode(res) === "no_session") await refresh();
    }
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
    showError("Not sold — agent unreachable. Check the Wi-Fi; the sale is kept for a retry.");
    renderPending();
  } finally {
    state.busy = false;
    $("sell").disabled = false;
    $("pending-retry").disabled = false;
  }
}

function resetCart() {
  state.cart.clear();
  $("cash-tendered").value = "";
  $("cust-name").value = "";
  $("cust-email").value = "";
  $("comp-reason").value = "";
  $("term-last4").value = "";
  $("term-auth").value = "";
  renderTypes();
}

// ---------------------------------------------------------------- receipt

const SVG_NS = "http://www.w3.org/2000/svg"; // a name, never fetched

/** The receipt's server-drawn QR as an <img> source: an image runs no script, and an SVG
 *  shown as an image needs its namespace (the agent's names it; an older agent's did not). */
function svgDataUrl(svg) {
  const text = /^<svg[^>]*\sxmlns=/.test(svg) ? svg : svg.replace(/^<svg/, `<svg xmlns="${SVG_NS}"`);
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
}

function showReceipt(receipt) {
  state.receipt = receipt;
  const voided = receipt.status === "voided";
  $("receipt-title").textContent = voided ? "Voided" : "Sold";
  $("receipt-title").className = voided ? "voided" : "";
  const p = receipt.payment || {};
  const lines = [
    el("div", {}, receipt.items.map((i) => `${i.quantity} × ${i.name}`).join(", ")),
    el("div", {}, `Total ${money(receipt.total_cents)} · ${p.method}` +
      (p.method === "terminal" ? ` ${p.brand} …${p.last4} (auth ${p.auth_ref})` : "") +
      (p.method === "comp" ? ` (${p.reason}, ${p.supervisor})` : "")),
  ];
  if (p.method === "cash") {
    lines.push(el("div", {}, `Tendered ${money(p.tendered_cents)}`));
    lines.push(el("div", { class: "change", "data-testid": "change" }, `Change ${money(p.change_cents)}`));
  }
  lines.push(el("div", { class: "meta" }, `Sale ${receipt.sale_id} · ${new Date(receipt.at_ms).toLocaleTimeString()}`));
  $("receipt-summary").replaceChildren(...lines);
  $("receipt-qrs").replaceChildren(
    ...receipt.tickets.map((t) =>
      el("figure", { class: "qr", "data-ticket": t.ticket_id },
        el("img", { src: svgDataUrl(t.qr_svg), alt: `QR code of ticket ${t.ticket_id}` }),
        el("figcaption", {}, t.name, el("div", { class: "tid" }, t.ticket_id)),
      ),
    ),
  );
  showWarning((receipt.warnings || []).join(" · "));
  $("receipt-void").disabled = voided;
  $("void-form").hidden = true;
  show("receipt");
}

async function printReceipt() {
  clearError();
  const r = state.receipt;
  try {
    const res = await api("POST", `/api/v1/boxoffice/sales/${encodeURIComponent(r.sale_id)}/print`, {});
    if (res.status === 200) showWarning(`Printed ${res.doc.printed} ticket(s).`);
    else showError(`Not printed: ${errorText(res)}`);
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
    showError("Agent unreachable: not printed. Try again when the agent is back.");
  }
}

async function voidSale(reason) {
  clearError();
  const r = state.receipt;
  try {
    const res = await api("POST", `/api/v1/boxoffice/sales/${encodeURIComponent(r.sale_id)}/void`, { reason });
    if (res.status !== 200) return showError(`Not voided: ${errorText(res)}`);
    showReceipt(res.doc);
    refresh();
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
    showError("Agent unreachable: the sale is NOT voided. Try again when the agent is back.");
  }
}

async function loadSales() {
  const list = $("sales-list");
  try {
    const res = await api("GET", "/api/v1/boxoffice/sales?limit=50");
    if (res.status !== 200) return showError(`Could not list sales: ${errorText(res)}`);
    list.replaceChildren(
      ...res.doc.sales.map((r) =>
        el("li", {},
          el("button", { type: "button", onclick: () => showReceipt(r) },
            el("span", {}, `${new Date(r.at_ms).toLocaleTimeString()} · ` +
              r.items.map((i) => `${i.quantity} × ${i.name}`).join(", ")),
            el("span", { class: r.status === "voided" ? "voided" : "" },
              r.status === "voided" ? "voided" : money(r.total_cents)),
          ),
        ),
      ),
    );
    if (res.doc.sales.length === 0) list.replaceChildren(el("li", {}, "No sales yet."));
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
    showError("Agent unreachable: cannot list sales right now.");
  }
}

// ---------------------------------------------------------------- wiring

function wire() {
  $("pair-form").addEventListener("submit", (e) => {
    e.preventDefault();
    pair($("pair-code").value.trim(), $("pair-name").value.trim());
  });
  $("open-form").addEventListener("submit", (e) => {
    e.preventDefault();
    openSession($("open-operator").value.trim(), $("open-float").value);
  });
  $("close-form").addEventListener("submit", (e) => {
    e.preventDefault();
    closeSession($("close-counted").value);
  });
  for (const b of document.querySelectorAll("#method-choice .seg")) {
    b.addEventListener("click", () => setMethod(b.dataset.method));
  }
  for (const b of document.querySelectorAll("#delivery-choice .seg")) {
    b.addEventListener("click", () => setDelivery(b.dataset.delivery));
  }
  for (const b of document.querySelectorAll("#nav .navbtn")) {
    b.addEventListener("click", () => { clearError(); showWarning(""); show(b.dataset.go); });
  }
  $("cash-tendered").addEventListener("input", renderChange);
  $("sell").addEventListener("click", sell);
  $("pending-retry").addEventListener("click", () => { clearError(); sendPending(); });
  $("pending-discard").addEventListener("click", () => { savePending(null); clearError(); });
  $("receipt-print").addEventListener("click", printReceipt);
  $("receipt-next").addEventListener("click", () => { showWarning(""); show("sell"); });
  $("receipt-void").addEventListener("click", () => { $("void-form").hidden = false; $("void-reason").focus(); });
  $("void-cancel").addEventListener("click", () => { $("void-form").hidden = true; });
  $("void-form").addEventListener("submit", (e) => {
    e.preventDefault();
    voidSale($("void-reason").value.trim());
  });
  $("term-id").value = localStorage.getItem(TERMINAL_KEY) || "";
}

/** Over HTTPS (a secure context), keep the page loadable while the agent is away. */
function registerWorker() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => {
    /* no worker: the page works as before, it just cannot load without the agent */
  });
}

async function start() {
  registerWorker();
  wire();
  setMethod("cash");
  setDelivery("screen");
  renderPending();
  renderMoved();
  if (location.hash.startsWith("#handoff=")) {
    const handoff = window.GatehouseHandoff.parseHandoff(location.hash);
    history.replaceState(null, "", location.pathname); // the token leaves the address bar
    if (handoff === null) showError("That link to move this iPad here is not valid: pair it here.");
    else await adoptHandoff(handoff);
  }
  const m = /^#pair=([^&]+)/.exec(location.hash);
  if (m) {
    history.replaceState(null, "", location.pathname);
    const code = decodeURIComponent(m[1]);
    $("pair-code").value = code;
    show("pair");
    pair(code, $("pair-name").value.trim());
    return;
  }
  if (!state.token) {
    setLink(false, "not paired");
    return show("pair");
  }
  connect();
  schedulePoll(0);
  if (!state.figures) refresh();
}

document.addEventListener("DOMContentLoaded", start);
