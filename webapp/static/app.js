// Progressive enhancement only: every page works without JavaScript.
(function () {
  "use strict";
  var root = document.documentElement;

  // Offline reading: the service worker keeps the lessons a resident has opened.
  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js").catch(function () { /* reading online still works */ });
    });
  }

  // Larger text: without JavaScript the link asks the server; here the page switches at once,
  // remembered in the same cookie.
  function chosenSize() {
    return /(?:^|;\s*)text_size=large(?:;|$)/.test(document.cookie) ? "large" : "standard";
  }
  function showSize(size) {
    root.classList.toggle("text-large", size === "large");
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-text-size]");
    if (!link) return;
    event.preventDefault();
    var size = link.getAttribute("data-text-size");
    document.cookie = "text_size=" + size + "; path=/; max-age=31536000; samesite=lax" +
      (location.protocol === "https:" ? "; secure" : "");
    showSize(size);
    var other = document.querySelector("a[data-text-size]:not([data-text-size=" + size + "])");
    if (other) other.focus();
  });
  // a page the browser kept in memory (the back button) follows the size chosen since
  window.addEventListener("pageshow", function (event) { if (event.persisted) showSize(chosenSize()); });

  // Read aloud, where the browser can speak: a button reads the element it names.
  if (!("speechSynthesis" in window && "SpeechSynthesisUtterance" in window)) return;
  var synth = window.speechSynthesis;
  var speaking = null;
  function reveal() {
    var buttons = document.querySelectorAll("button.speak[data-speak]");
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = false;
  }
  reveal();
  // the survey's next screen arrives without a reload (survey.js): its buttons too
  document.addEventListener("content-replaced", function () { stop(); reveal(); });

  function stop() {
    if (speaking) speaking.classList.remove("speaking");
    speaking = null;
    synth.cancel();
  }
  function textOf(element) {
    // the element's own buttons are not read out
    var own = element.querySelectorAll("button.speak");
    for (var i = 0; i < own.length; i++) own[i].hidden = true;
    var text = element.innerText;
    for (i = 0; i < own.length; i++) own[i].hidden = false;
    return text;
  }
  function voiceFor(lang) {
    var voices = synth.getVoices();
    for (var i = 0; i < voices.length; i++) {
      if (voices[i].lang.toLowerCase().indexOf(lang) === 0) return voices[i];
    }
    return null;
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.speak[data-speak]");
    if (!button) return;
    var again = speaking === button;
    stop();
    var target = document.getElementById(button.getAttribute("data-speak"));
    if (again || !target) return;
    var english = root.lang.indexOf("en") === 0;
    var voice = voiceFor(english ? "en" : "zh");
    // a sentence at a time: some voices stop by themselves in a long text
    var sentences = (textOf(target).match(/[^。！？!?\n]+[。！？!?]*/g) || []).filter(function (s) { return s.trim(); });
    if (!sentences.length) return;
    speaking = button;
    button.classList.add("speaking");
    sentences.forEach(function (sentence, n) {
      var utterance = new SpeechSynthesisUtterance(sentence.trim());
      utterance.lang = english ? "en-GB" : "zh-CN";
      if (voice) utterance.voice = voice;
      utterance.rate = 0.9;
      if (n === sentences.length - 1) {
        utterance.onend = utterance.onerror = function () { if (speaking === button) stop(); };
      }
      synth.speak(utterance);
    });
  });
  window.addEventListener("pagehide", stop);
})();
