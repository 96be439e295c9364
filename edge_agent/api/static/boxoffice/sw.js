// The iPad page's service worker (registered only in a secure context: the agent's HTTPS).
//
// Why: a page reloaded while the agent is unreachable (Wi-Fi gone, agent restarting)
// would otherwise show Safari's error page, hiding the sale that was not sold. With this
// worker the page itself still loads, from the copy kept at the last good load, and shows
// that unsold sale (kept in localStorage) with its Retry button.
//
// Network first, always: every load asks the agent, so an agent upgrade reaches the iPad
// at once; the copy is used only when the agent does not answer. Only the page's own
// files are kept — never an API answer (tickets, tokens): /api/ is not touched here.
"use strict";

const CACHE = "gatehouse-boxoffice-v2";
const FILES = [
  "./", "index.html", "handoff.js", "app.js", "app.css", "manifest.webmanifest",
  "icon-192.png", "icon-512.png", "apple-touch-icon.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  const scope = new URL(self.registration.scope);
  if (request.method !== "GET" || url.origin !== scope.origin) return;
  if (!url.pathname.startsWith(scope.pathname)) return; // the API goes to the network only
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() =>
        caches.match(request, { ignoreSearch: true }).then(
          (kept) => kept || (request.mode === "navigate" ? caches.match("./") : undefined)
            || Response.error(),
        ),
      ),
  );
});
