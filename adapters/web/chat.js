// The web chat page. Served as a file (no inline script: the CSP forbids it).
// The session is an HttpOnly cookie the server sets; this script never sees it.
(() => {
  const params = new URLSearchParams(location.search);
  const en = (params.get("lang") || navigator.language || "ru").toLowerCase().startsWith("en");
  const T = en
    ? { placeholder: "Type a message…", send: "Send", online: "online", connecting: "connecting…", offline: "reconnecting…", phone: "Send phone", sub: "shop chat", failed: "Not sent — tap to retry", slow: "Too fast — the message goes in a moment", restarted: "The previous chat has expired: a new one has started", cookies: "The chat needs cookies for this site. Allow them and reload the page." }
    : { placeholder: "Напишите сообщение…", send: "Отправить", online: "онлайн", connecting: "подключение…", offline: "переподключение…", phone: "Отправить", sub: "чат магазина", failed: "Не отправлено — нажмите, чтобы повторить", slow: "Слишком быстро — сообщение уйдёт через секунду", restarted: "Прошлый чат истёк — начали новый", cookies: "Чату нужны cookies этого сайта. Разрешите их и обновите страницу." };
  const $ = (id) => document.getElementById(id);
  const name = document.body.dataset[en ? "nameEn" : "nameRu"] || "";
  $("input").placeholder = T.placeholder;
  $("send").textContent = T.send;
  $("title").textContent = name;
  $("sub").textContent = document.body.dataset[en ? "peopleEn" : "peopleRu"] || T.sub;
  document.title = name + (en ? " — chat" : " — чат");
  document.documentElement.lang = en ? "en" : "ru";
  // Older pages kept a client-made session id here (and took one from ?session=): never again.
  localStorage.removeItem("frontdesk.session");

  const log = $("log");
  const status = $("status");
  let after = -1;
  let epoch = 0;
  let restarts = [];
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function setStatus(online, text) {
    status.classList.toggle("online", online);
    $("status-text").textContent = text;
  }
  function newId() { return "m" + crypto.randomUUID().replace(/-/g, ""); }
  function scroll() { log.scrollTop = log.scrollHeight; }

  // http(s) links become <a>; everything else stays text nodes (never HTML)
  const URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]»]/g;
  function linkify(parent, text) {
    let last = 0;
    for (const m of text.matchAll(URL_RE)) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      const a = document.createElement("a");
      a.href = m[0]; a.textContent = m[0]; a.target = "_blank"; a.rel = "noopener noreferrer nofollow";
      parent.appendChild(a);
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function bubble(cls, text) {
    const div = document.createElement("div");
    div.className = "msg " + cls;
    if (text) linkify(div, text);
    log.appendChild(div);
    scroll();
    return div;
  }
  function notice(cls, text) {
    const div = document.createElement("div");
    div.className = cls; div.textContent = text;
    log.appendChild(div);
    scroll();
    return div;
  }

  async function openSession() {
    const res = await fetch("/webchat/api/session", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    if (!res.ok) throw new Error(String(res.status));
    return (await res.json()).fresh === true;
  }

  // The session expired or was never valid: start a new chat (the old one stays with the shop).
  async function restart() {
    const now = Date.now();
    restarts = restarts.filter((t) => now - t < 60_000).concat(now);
    epoch++;
    if (restarts.length > 3) {
      setStatus(false, T.offline);
      notice("error", T.cookies);
      return false;
    }
    log.textContent = "";
    after = -1;
    if (restarts.length > 0 && log.dataset.started) notice("notice", T.restarted);
    await begin();
    return true;
  }

  async function post(body, attempt = 0) {
    const payload = { id: body.id || newId(), ...body };
    try {
      const res = await fetch("/webchat/api/messages", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) });
      if (res.status === 401) {
        if (await restart()) return post(payload, attempt);
        return;
      }
      if (res.status === 429) {
        const wait = Math.min(30, Number(res.headers.get("retry-after")) || 1);
        const n = notice("notice", T.slow);
        await sleep(wait * 1000);
        n.remove();
        return post(payload, attempt);
      }
      if (!res.ok && res.status >= 500) throw new Error(String(res.status));
    } catch (e) {
      // Same id on retry: the server answers it once.
      if (attempt < 5) return setTimeout(() => post(payload, attempt + 1), 500 * 2 ** attempt);
      const err = notice("error", T.failed);
      err.onclick = () => { err.remove(); post(payload); };
    }
  }

  function disableOld() {
    log.querySelectorAll(".choices button, .phone button, .phone input").forEach((b) => (b.disabled = true));
  }
  function enableLast() {
    disableOld();
    const bots = log.querySelectorAll(".msg.bot");
    if (bots.length) bots[bots.length - 1].querySelectorAll("button, input").forEach((b) => (b.disabled = false));
  }

  function show(m) {
    const div = bubble("bot", "");
    div.dataset.seq = m.seq;
    if (m.photoUrl && /^(https?:\/\/|\/webchat\/photos\/)/.test(m.photoUrl)) {
      const img = document.createElement("img");
      img.src = m.photoUrl; img.alt = ""; img.onerror = () => img.remove();
      // the picture arrives after the text was laid out: keep the newest message in view
      img.onload = () => { if (!div.nextElementSibling) scroll(); };
      div.appendChild(img);
    }
    if (m.text) linkify(div, m.text);
    const choices = m.buttons ? m.buttons.flat() : m.list ? m.list.rows : [];
    if (choices.length) {
      const box = document.createElement("div");
      box.className = "choices";
      for (const c of choices) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = c.label;
        b.dataset.id = c.id;
        if (c.description) { const s = document.createElement("small"); s.textContent = c.description; b.appendChild(s); }
        b.onclick = () => { disableOld(); bubble("me", c.label); post({ buttonId: c.id }); };
        box.appendChild(b);
      }
      div.appendChild(box);
    }
    if (m.askPhone) {
      const box = document.createElement("form");
      box.className = "phone";
      const input = document.createElement("input");
      input.type = "tel"; input.placeholder = "+7 900 000-00-00"; input.setAttribute("aria-label", m.askPhone.label);
      const b = document.createElement("button");
      b.type = "submit"; b.textContent = m.askPhone.label || T.phone;
      box.onsubmit = (e) => { e.preventDefault(); const v = input.value.trim(); if (!v) return; disableOld(); bubble("me", v); post({ phone: v }); };
      box.append(input, b);
      div.appendChild(box);
    }
    scroll();
  }

  function take(messages) {
    let fresh = false;
    for (const m of messages) { if (m.seq > after) { after = m.seq; show(m); fresh = true; } }
    if (fresh) enableLast();
  }

  async function poll(mine) {
    while (mine === epoch) {
      try {
        const res = await fetch(`/webchat/api/messages?after=${after}&wait=25`);
        if (mine !== epoch) return;
        if (res.status === 401) { await restart(); return; }
        if (res.status === 429) { await sleep((Number(res.headers.get("retry-after")) || 5) * 1000); continue; }
        if (!res.ok) throw new Error(String(res.status));
        setStatus(true, T.online);
        take((await res.json()).messages);
      } catch (e) {
        setStatus(false, T.offline);
        await sleep(2000);
      }
    }
  }

  async function begin() {
    const mine = epoch;
    let fresh;
    for (;;) {
      try { fresh = await openSession(); break; } catch (e) { setStatus(false, T.offline); await sleep(2000); }
      if (mine !== epoch) return;
    }
    log.dataset.started = "1";
    if (!fresh) {
      // a reload: the whole conversation, the customer's own messages too
      try {
        const res = await fetch("/webchat/api/messages?after=-1&history=1&wait=0");
        if (res.status === 401) { await restart(); return; }
        if (res.ok) {
          const { history } = await res.json();
          for (const item of history) {
            if (item.from === "me") bubble("me", item.text);
            else if (item.seq > after) { after = item.seq; show(item); }
          }
          enableLast();
        }
      } catch (e) { /* the poll below catches up */ }
    }
    setStatus(true, T.online);
    poll(mine);
    // Greet a new visitor; a returning one only when they came through a new link (reloads stay quiet).
    const src = params.get("src") || params.get("start");
    const srcKey = "frontdesk.src";
    if (fresh || (src && localStorage.getItem(srcKey) !== src)) {
      post({ text: "/start", ...(src ? { source: src } : {}), ...(en ? { locale: "en" } : {}) });
    }
    if (src) localStorage.setItem(srcKey, src);
  }

  $("form").onsubmit = (e) => {
    e.preventDefault();
    const input = $("input");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    bubble("me", text);
    post({ text });
  };

  setStatus(false, T.connecting);
  begin();
})();
