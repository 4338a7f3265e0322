// The survey, one question per screen, without a page reload. The pages work without this
// script: each answer posts and the server sends the next screen. Here the same posts go by
// fetch and the next screen replaces this one; an answer that cannot be sent waits for the
// connection to come back. The countdown shows the time the server says is left.
(function () {
  "use strict";
  var pending = null;
  var timer = null;

  function startCountdown() {
    clearInterval(timer);
    var clock = document.querySelector("[data-seconds-left]");
    if (!clock) return;
    var end = Date.now() + 1000 * Number(clock.dataset.secondsLeft);
    var shown = clock.querySelector(".countdown");
    function tick() {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      var text = String(Math.floor(left / 60)).padStart(2, "0") + ":" + String(left % 60).padStart(2, "0");
      shown.textContent = left > 0 ? clock.dataset.left.replace("{t}", text) : clock.dataset.over;
      if (left === 0) clearInterval(timer);
    }
    tick();
    timer = setInterval(tick, 1000);
  }

  function isStep(url) {
    return url.origin === window.location.origin && /^\/draws\/[^/]+\/(q\/\d+|review)$/.test(url.pathname);
  }

  function show(html, url, push) {
    var next = new DOMParser().parseFromString(html, "text/html");
    var main = next.querySelector("main");
    if (!main) { window.location.assign(url); return; }
    document.querySelector("main").replaceWith(document.adoptNode(main));
    document.title = next.title;
    if (push) history.pushState({ step: true }, "", url);
    var heading = document.querySelector("main h1");
    if (heading) heading.focus();
    document.dispatchEvent(new CustomEvent("content-replaced"));
    startCountdown();
  }

  function load(url, options, push) {
    return fetch(url, Object.assign({ credentials: "same-origin" }, options)).then(function (response) {
      var page = new URL(response.url);
      // leaving the survey's screens (the result, an error): a whole page, as without the script
      if (!isStep(page) || response.status >= 400) {
        window.location.assign(response.url);
        return;
      }
      return response.text().then(function (html) { show(html, response.url, push); });
    });
  }

  function say(form, key) {
    var status = form.querySelector(".step-status");
    if (status) status.textContent = key ? status.dataset[key] : "";
  }

  function send(form, submitter) {
    var body = new FormData(form);
    if (submitter && submitter.name) body.set(submitter.name, submitter.value);
    pending = { form: form, submitter: submitter };
    say(form, null);
    return load(form.action, { method: "POST", body: body }, true).then(
      function () { pending = null; },
      function () { say(form, navigator.onLine === false ? "offline" : "failed"); }
    );
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("step-form") || typeof fetch !== "function") return;
    event.preventDefault();
    send(form, event.submitter);
  });

  // a changed answer is kept at once, before any button is pressed
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form || !form.classList.contains("step-form")) return;
    var body = new FormData(form);
    body.set("go", "save");
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" }).catch(function () {
      say(form, "offline");
    });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-step] a");
    if (!link || !isStep(new URL(link.href)) || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    load(link.href, {}, true).catch(function () { window.location.assign(link.href); });
  });

  window.addEventListener("online", function () {
    if (pending && document.contains(pending.form)) send(pending.form, pending.submitter);
  });

  window.addEventListener("popstate", function () {
    load(window.location.href, {}, false).catch(function () { window.location.reload(); });
  });

  startCountdown();
})();
