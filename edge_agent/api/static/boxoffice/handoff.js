// Gatehouse box office: handing this iPad over to another box of the venue.
//
// When the box that served the page stops answering, the page offers the venue's other
// boxes (docs/boxoffice-page.md, "When the box stops answering"). The API grants no CORS,
// so the page cannot use another box's API from here: it navigates to that box's own page
// with `#handoff=<base64url JSON>`. A fragment never reaches a server, a log or a Referer;
// the page there reads it, removes it from the address bar at once and keeps the token
// (pairings are shared by the mesh: the same token works at every member).
//
// What travels: the token, the device's name, which box it came from (name, gate, the
// origin of its page) and, if a sale was not sold there, only how many tickets and how it
// was paid — never the sale itself: it stays with that box and is retried only there.
"use strict";

(function (root) {
  const PREFIX = "#handoff=";
  const MAX_CHARS = 4096;
  const TOKEN = /^[A-Za-z0-9_-]{16,256}$/;
  const METHODS = ["cash", "terminal", "comp"];

  function toBase64Url(text) {
    let bin = "";
    for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromBase64Url(text) {
    if (!/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) return null;
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    try {
      const bin = atob(b64);
      const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (e) {
      return null;
    }
  }

  function shortText(v, max) {
    return typeof v === "string" && v.length > 0 && v.length <= max ? v : null;
  }

  /** An http(s) origin ("scheme://host:port"), or null. */
  function originOf(v) {
    if (typeof v !== "string") return null;
    try {
      const u = new URL(v);
      return u.protocol === "https:" || u.protocol === "http:" ? u.origin : null;
    } catch (e) {
      return null;
    }
  }

  /** The fragment that moves this iPad: "#handoff=…". */
  function encodeHandoff(h) {
    const doc = {
      v: 1,
      token: h.token,
      device: h.device,
      from: { name: h.from.name, gate: h.from.gate || "", url: h.from.url },
      kept: h.kept ? { tickets: h.kept.tickets, method: h.kept.method } : null,
    };
    return PREFIX + toBase64Url(JSON.stringify(doc));
  }

  /** The hand-over in a location.hash, checked field by field; null if it is not one. */
  function parseHandoff(hash) {
    if (typeof hash !== "string" || !hash.startsWith(PREFIX)) return null;
    const payload = hash.slice(PREFIX.length);
    if (payload.length > MAX_CHARS) return null;
    const text = fromBase64Url(payload);
    if (text === null) return null;
    let doc;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      return null;
    }
    if (!doc || typeof doc !== "object" || doc.v !== 1) return null;
    if (typeof doc.token !== "string" || !TOKEN.test(doc.token)) return null;
    const from = doc.from;
    if (!from || typeof from !== "object") return null;
    const name = shortText(from.name, 64);
    const url = originOf(from.url);
    if (name === null || url === null) return null;
    let kept = null;
    if (doc.kept !== null && doc.kept !== undefined) {
      const k = doc.kept;
      if (!k || !Number.isInteger(k.tickets) || k.tickets < 1 || k.tickets > 1000) return null;
      if (!METHODS.includes(k.method)) return null;
      kept = { tickets: k.tickets, method: k.method };
    }
    return {
      token: doc.token,
      device: shortText(doc.device, 64) || "iPad box office",
      from: { name, gate: shortText(from.gate, 64) || "", url },
      kept,
    };
  }

  root.GatehouseHandoff = Object.freeze({ encodeHandoff, parseHandoff });
})(window);
