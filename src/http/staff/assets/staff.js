// The staff pages' behaviour: one live connection per tab (Server-Sent Events), the
// unread count in the tab title, a sound and a browser notification for new customer
// messages, quick replies. Everything shown comes from the server as escaped HTML or
// is set with textContent: nothing a customer wrote is ever parsed as HTML here.
(function () {
  "use strict";
  var body = document.body;
  var lang = body.getAttribute("data-lang") || "ru";
  var chat = document.querySelector("[data-chat]");
  var openKey = chat ? chat.getAttribute("data-chat") : null;
  var baseTitle = document.title;
  var UNREAD = "fd-unread";
  var TEXT = {
    ru: { live: "в сети", down: "нет связи, переподключаюсь…", title: "Новое сообщение" },
    en: { live: "live", down: "offline, reconnecting…", title: "New message" },
  }[lang === "en" ? "en" : "ru"];

  function readUnread() {
    try {
      return JSON.parse(localStorage.getItem(UNREAD) || "{}") || {};
    } catch (e) {
      return {};
    }
  }
  function writeUnread(u) {
    try {
      localStorage.setItem(UNREAD, JSON.stringify(u));
    } catch (e) {
      /* private mode: the count stays per page */
    }
  }
  function showUnread() {
    var u = readUnread();
    var n = Object.keys(u).length;
    document.title = n > 0 ? "(" + n + ") " + baseTitle : baseTitle;
    var rows = document.querySelectorAll(".row[data-key]");
    for (var i = 0; i < rows.length; i++) rows[i].classList.toggle("unread", Object.prototype.hasOwnProperty.call(u, rows[i].getAttribute("data-key")));
  }
  function markRead(key) {
    var u = readUnread();
    if (Object.prototype.hasOwnProperty.call(u, key)) {
      delete u[key];
      writeUnread(u);
    }
  }
  if (openKey) markRead(openKey);
  window.addEventListener("storage", function (e) {
    if (e.key === UNREAD) showUnread();
  });
  document.addEventListener("htmx:afterSwap", showUnread);
  showUnread();

  // a short two-tone chime, made here (no audio file to fetch)
  var audio = null;
  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [880, 1320].forEach(function (f, i) {
        var o = audio.createOscillator();
        var g = audio.createGain();
        o.frequency.value = f;
        g.gain.setValueAtTime(0.08, audio.currentTime + i * 0.15);
        g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + i * 0.15 + 0.3);
        o.connect(g).connect(audio.destination);
        o.start(audio.currentTime + i * 0.15);
        o.stop(audio.currentTime + i * 0.15 + 0.32);
      });
    } catch (e) {
      /* no sound before the first click in some browsers */
    }
  }
  function notify(text) {
    if (!("Notification" in window) || Notification.permission !== "granted" || !document.hidden) return;
    try {
      new Notification(TEXT.title, { body: String(text || "").slice(0, 140), tag: "frontdesk" });
    } catch (e) {
      /* some browsers allow notifications only from a service worker */
    }
  }
  var ask = document.getElementById("notify-on");
  if (ask && "Notification" in window && Notification.permission === "default") {
    ask.hidden = false;
    ask.addEventListener("click", function () {
      Notification.requestPermission().then(function () {
        ask.hidden = true;
      });
    });
  }

  // quick replies fill the message box; {name}/{order} are filled in when sent
  var box = document.getElementById("text");
  var quick = document.querySelectorAll("[data-quick]");
  for (var q = 0; q < quick.length; q++) {
    quick[q].addEventListener("click", function (e) {
      if (!box) return;
      box.value = e.currentTarget.getAttribute("data-quick");
      box.focus();
    });
  }
  var history = document.getElementById("history");
  function scrollDown() {
    var h = document.getElementById("history");
    if (h) h.scrollTop = h.scrollHeight;
  }
  if (history) scrollDown();
  document.addEventListener("htmx:afterSettle", function () {
    requestAnimationFrame(scrollDown);
  });
  window.addEventListener("load", scrollDown);

  if (!body.hasAttribute("data-live") || !("EventSource" in window)) return;
  var state = document.getElementById("live-state");
  var pending = null;
  function changed(key) {
    // several events of one step arrive together: refresh once
    clearTimeout(pending);
    pending = setTimeout(function () {
      body.dispatchEvent(new CustomEvent("desk-changed"));
      if (openKey && key === openKey) body.dispatchEvent(new CustomEvent("chat-changed"));
    }, 150);
  }
  // from where the page's data was read, so nothing in between is missed
  var cursor = body.getAttribute("data-cursor");
  var source = new EventSource("/staff/events" + (cursor ? "?after=" + encodeURIComponent(cursor) : ""));
  source.addEventListener("open", function () {
    if (!state) return;
    state.hidden = false;
    state.textContent = TEXT.live;
    state.classList.remove("down");
  });
  source.addEventListener("error", function () {
    if (!state) return;
    state.hidden = false;
    state.textContent = TEXT.down;
    state.classList.add("down");
  });
  source.addEventListener("desk", function (msg) {
    var e;
    try {
      e = JSON.parse(msg.data);
    } catch (err) {
      return;
    }
    var needsPerson = e.attention === true;
    if (needsPerson && e.key && e.key !== openKey) {
      var u = readUnread();
      u[e.key] = e.at;
      writeUnread(u);
      chime();
      notify(e.summary);
    } else if (needsPerson && e.key === openKey && document.hidden) {
      chime();
      notify(e.summary);
    }
    showUnread();
    changed(e.key);
  });
  window.addEventListener("pagehide", function () {
    source.close();
  });
})();
