// Offline reading: keep the app shell and every lesson page the resident has opened.
// Quizzes are never served from the cache: they need the server to draw and to score.
const VERSION = "__VERSION__";
const CACHE = "xiaofang-" + VERSION;
const SHELL = ["/offline", "__CSS__"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

function isReadable(url) {
  return url.origin === self.location.origin &&
    (url.pathname.startsWith("/lessons") || url.pathname.startsWith("/static/") || url.pathname === "/");
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (!isReadable(url)) {
    if (request.mode === "navigate") {
      // a quiz or any other page: say plainly that it needs a connection
      event.respondWith(fetch(request).catch(() => caches.match("/offline")));
    }
    return;
  }
  // network first, so lessons stay current; the copy is for when the network is gone
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() => caches.match(request, { ignoreVary: true }).then((hit) => hit || caches.match("/offline")))
  );
});
