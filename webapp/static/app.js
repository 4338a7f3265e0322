// The only script: registers the service worker so opened lessons can be read offline.
// Everything else works without JavaScript.
if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js").catch(function () { /* reading online still works */ });
  });
}
