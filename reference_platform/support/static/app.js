// Gatehouse support page: sign in, find an order, read its tickets' timeline, download
// the signed evidence pack. Read-only: every call but sign in/out is a GET.
"use strict";

const $ = (sel) => document.querySelector(sel);
const show = (id) => {
  for (const s of ["#screen-login", "#screen-search"]) $(s).hidden = s !== id;
};
const when = (ms) => (ms == null ? "—" : new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC");

async function api(path, options = {}) {
  const resp = await fetch(path, { credentials: "same-origin", ...options });
  const doc = await resp.json().catch(() => ({}));
  if (resp.status === 401 && !path.endsWith("/login")) {
    signedOut();
    throw new Error("signed out");
  }
  if (!resp.ok) throw new Error((doc.error && doc.error.message) || `HTTP ${resp.status}`);
  return doc;
}

function signedOut() {
  $("#who").textContent = "";
  $("#logout").hidden = true;
  show("#screen-login");
}

function signedIn(user) {
  $("#who").textContent = `${user.username} (${user.role})`;
  $("#logout").hidden = false;
  show("#screen-search");
  $("#search-q").focus();
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

async function search(q) {
  $("#order").hidden = true;
  const doc = await api(`/support/api/orders?q=${encodeURIComponent(q)}`);
  const body = $("#results tbody");
  body.replaceChildren();
  for (const o of doc.orders) {
    const tr = document.createElement("tr");
    tr.className = "hit";
    tr.dataset.order = o.order_id;
    const card = o.payment_last4 ? `${o.payment_brand || ""} ••${o.payment_last4}` : "—";
    for (const t of [o.order_id, o.event_name, `${o.customer_name} <${o.customer_email}>`,
                     when(o.purchased_at_ms), card, String(o.tickets)]) tr.append(cell(t));
    tr.addEventListener("click", () => openOrder(o.order_id));
    body.append(tr);
  }
  $("#results").hidden = doc.orders.length === 0;
  $("#search-note").textContent = doc.orders.length
    ? `${doc.orders.length} order(s) found` : `No order found for “${q}”`;
  if (doc.orders.length === 1) await openOrder(doc.orders[0].order_id);
}

async function openOrder(orderId) {
  const o = await api(`/support/api/orders/${encodeURIComponent(orderId)}`);
  $("#order-title").textContent = `Order ${o.order_id} — ${o.event.name}, ${o.event.venue}`;
  const card = o.payment.last4 ? `${o.payment.brand} ••${o.payment.last4}` : (o.door_sale ? `door sale (${o.door_sale.method})` : "—");
  $("#order-summary").textContent =
    `${o.customer.name} <${o.customer.email}> · bought ${when(o.purchase.at_ms)} · ${card} · ${o.tickets.length} ticket(s)`;
  const base = `/support/api/orders/${encodeURIComponent(o.order_id)}/evidence`;
  $("#dl-pdf").href = `${base}.pdf`;
  $("#dl-zip").href = `${base}.zip`;
  const box = $("#tickets");
  box.replaceChildren();
  for (const t of o.tickets) {
    const div = document.createElement("div");
    div.className = "ticket";
    const h = document.createElement("h3");
    const state = t.revocation ? ` — ${t.revocation.kind.replace("_", " ").toUpperCase()}` : "";
    h.textContent = `Ticket ${t.ticket_id} (type ${t.ticket_type}, ${t.holder_name || "no name"})${state}`;
    const table = document.createElement("table");
    table.className = "timeline";
    for (const e of t.timeline) {
      const tr = document.createElement("tr");
      const kind = cell(e.kind.replace("scan_", "").replace("_", " "));
      kind.className = `kind ${e.kind}`;
      tr.append(cell(when(e.at_ms)), kind, cell(e.text));
      table.append(tr);
    }
    div.append(h, table);
    box.append(div);
  }
  $("#order").hidden = false;
}

$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#login-error").textContent = "";
  try {
    const user = await api("/support/api/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: $("#login-user").value, password: $("#login-password").value }),
    });
    $("#login-password").value = "";
    signedIn(user);
  } catch (err) {
    $("#login-error").textContent = err.message;
  }
});

$("#search-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    await search($("#search-q").value);
  } catch (err) {
    $("#search-note").textContent = err.message;
  }
});

$("#logout").addEventListener("click", async () => {
  await api("/support/api/logout", { method: "POST" }).catch(() => {});
  signedOut();
});

api("/support/api/me").then(signedIn).catch(signedOut);
