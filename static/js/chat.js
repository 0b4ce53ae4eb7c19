/* Kindred live chat client. Plain JavaScript, no inline script (strict CSP).
 *
 * Reliability: each message gets a client id; the text stays in the input
 * box until the server acknowledges it; unacknowledged messages are resent
 * with the same id after a reconnect (the server de-duplicates); on every
 * (re)connect the client asks for what it missed since the last id it saw,
 * and every few seconds while connected too: a broadcast lost on the way
 * between server processes (a Redis outage) drops no socket, so only this
 * periodic sync brings those messages (shown once: rows are keyed by id).
 *
 * Safety: the only member text inserted as HTML is the `html` field, which
 * the server sanitised when the message was written. Everything else goes
 * in with textContent.
 */
(function () {
  "use strict";

  var root = document.getElementById("chat");
  if (!root) { return; }
  var app = document.getElementById("chat-app");
  var statusEl = document.getElementById("chat-status");
  if (typeof window.io !== "function") {
    app.hidden = false;
    statusEl.textContent = "Live chat could not load. Please reload the page, or use the boards.";
    return;
  }
  app.hidden = false;

  var roomId = parseInt(root.dataset.room, 10);
  var loggedIn = root.dataset.loggedIn === "true";
  var isMod = root.dataset.moderator === "true";
  var revealBase = root.dataset.revealUrl || "";
  var maxChars = parseInt(root.dataset.maxChars, 10) || 2000;
  var log = document.getElementById("chat-log");
  var scroller = document.getElementById("chat-scroll");
  var olderBtn = document.getElementById("chat-older");
  var newBelow = document.getElementById("chat-new-below");
  var typingEl = document.getElementById("chat-typing");
  var card = document.getElementById("chat-card");
  var pinned = document.getElementById("chat-pinned");
  var pinnedBody = document.getElementById("chat-pinned-body");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var errorEl = document.getElementById("chat-error");
  var anonBox = document.getElementById("chat-anonymous");
  var sendBtn = document.getElementById("chat-send");
  var replying = document.getElementById("chat-replying");
  var replyingText = document.getElementById("chat-replying-text");

  var lastId = 0;        // newest message id seen: catch-up cursor
  var oldestId = null;   // oldest message id shown: scroll-back cursor
  var hasMore = false;
  var replyTo = null;
  var presence = 0;
  var roomState = { locked: false, slow_mode: 0, open: true };
  var pending = null;    // {client_id, text, anonymous, reply_to} awaiting an ack
  var connectedOnce = false;

  var socket = window.io("/chat", { transports: ["websocket", "polling"], tryAllTransports: true });

  // -- helpers ----------------------------------------------------------------
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
  }

  function scrollToBottom() { scroller.scrollTop = scroller.scrollHeight; newBelow.hidden = true; }

  function timeText(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function updateStatus(text) {
    var parts = [];
    if (text) { parts.push(text); }
    if (!roomState.open) { parts.push("The room is closed right now."); }
    if (roomState.locked) { parts.push("A moderator has paused the room."); }
    if (roomState.slow_mode) { parts.push("Slow mode: one message every " + roomState.slow_mode + " seconds."); }
    parts.push(presence === 1 ? "1 person here." : presence + " people here.");
    statusEl.textContent = parts.join(" ");
  }

  function showError(message) { if (errorEl) { errorEl.textContent = message || ""; } }

  // -- rendering ---------------------------------------------------------------
  // Handles the viewer ignores. Anonymous messages carry no handle and the
  // team cannot be ignored, so neither is ever collapsed.
  var ignoredHandles = JSON.parse(root.dataset.ignored || "[]");
  function isIgnored(m) {
    return !m.mine && !m.anonymous && !m.staff_role && ignoredHandles.indexOf(m.author) !== -1;
  }

  function renderMessage(m) {
    var li = el("li", "chat-msg");
    li.id = "msg-" + m.id;
    li.dataset.id = m.id;
    if (m.mine) { li.classList.add("mine"); li.dataset.mine = "true"; }
    var head = el("p", "chat-msg-head");
    head.appendChild(el("span", "chat-author", m.author));
    if (m.staff_role) {
      // The same badge as on posts: names alone can't prove who is staff.
      var staff = m.staff_role !== "moderator";
      var badge = el("span", "chat-badge role-badge " + (staff ? "role-staff" : "role-moderator"), staff ? "Staff" : "Moderator");
      badge.title = staff ? "A member of Kindred staff" : "A Kindred peer moderator";
      head.appendChild(badge);
    }
    var time = el("time", "chat-time", timeText(m.at));
    time.dateTime = m.at;
    head.appendChild(time);
    li.appendChild(head);
    if (m.reply_to) {
      var ref = el("p", "chat-reply-ref");
      var link = el("a", null, "Replying to an earlier message");
      link.href = "#msg-" + m.reply_to;
      var target = document.getElementById("msg-" + m.reply_to);
      if (target) { link.textContent = "Replying to " + target.querySelector(".chat-author").textContent; }
      ref.appendChild(link);
      li.appendChild(ref);
    }
    var body = el("div", "chat-body");
    body.innerHTML = m.html;  // server-sanitised at write time (nh3); never raw member text
    if (isIgnored(m)) {
      // Collapsed, never dropped: one click shows it (as ignored members' posts).
      var folded = el("details", "ignored-post");
      var summary = el("summary", null, "A message from a member you ignore ");
      summary.appendChild(el("span", "cw-open", "(select to show)"));
      folded.appendChild(summary);
      folded.appendChild(body);
      li.classList.add("ignored");
      li.appendChild(folded);
    } else {
      li.appendChild(body);
    }
    if (m.status === "held") {
      li.classList.add("held");
      li.appendChild(el("p", "chat-held", "Held for a moderator: only you can see this message for now."));
    } else if (m.status === "hidden") {
      li.classList.add("hidden-msg");
      li.appendChild(el("p", "chat-held", "A moderator hid this message." + (m.note ? " Note: " + m.note : "")));
    }
    if (m.status === "visible") { li.appendChild(renderActions(m)); }
    return li;
  }

  function renderActions(m) {
    var row = el("div", "chat-actions");
    if (loggedIn) {
      var reply = el("button", "link-button", "Reply");
      reply.type = "button";
      reply.addEventListener("click", function () { startReply(m); });
      row.appendChild(reply);
    }
    var support = el("button", "link-button chat-support", "");
    support.type = "button";
    support.dataset.count = m.support;
    setSupportLabel(support, m.support);
    if (!loggedIn || m.mine) { support.disabled = true; }
    support.addEventListener("click", function () {
      socket.timeout(8000).emit("support", { id: m.id }, function (err, res) {
        if (err || !res.ok) { updateStatus(res && res.message ? res.message : "Support could not be sent."); return; }
        support.setAttribute("aria-pressed", res.supported ? "true" : "false");
        setSupportLabel(support, res.support);
      });
    });
    row.appendChild(support);
    if (isMod) {
      row.appendChild(modButton("Hide", function () {
        var note = window.prompt("Hide this message for everyone. Optional note for the writer:", "");
        if (note === null) { return; }
        modEmit("hide", { id: m.id, note: note }, "Message hidden.");
      }));
      if (!m.mine) {
        row.appendChild(modButton("Mute writer 15 min", function () {
          modEmit("mute", { id: m.id, minutes: 15 }, "The writer is muted in this room for 15 minutes.");
        }));
      }
      row.appendChild(modButton("Pin", function () {
        modEmit("pin", { room: roomId, id: m.id }, "Message pinned.");
      }));
    }
    if (revealBase && m.anonymous) {
      // Staff only (the page sets the URL for staff): the audited reveal, with its reason form.
      var reveal = el("a", "chat-mod-action", "Show who posted this");
      reveal.href = revealBase + m.id;
      row.appendChild(reveal);
    }
    return row;
  }

  function setSupportLabel(button, count) {
    button.dataset.count = count;
    button.textContent = "Support" + (count ? " (" + count + ")" : "");
    button.setAttribute("aria-label", "Send support" + (count ? ", " + count + " so far" : ""));
  }

  function modButton(label, onClick) {
    var b = el("button", "link-button chat-mod-action", label);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function modEmit(event, data, okText) {
    var result = document.getElementById("chat-mod-result");
    socket.timeout(8000).emit(event, data, function (err, res) {
      if (result) { result.textContent = err ? "No reply from the server; please try again." : (res.ok ? okText : res.message); }
    });
  }

  // where: "initial" (first join), "live" (broadcasts, catch-up pages),
  // "top" (older pages) or "ack" (the sender's own message from the ack).
  function addMessages(messages, where) {
    var atBottom = nearBottom();
    var previousHeight = scroller.scrollHeight;
    var previousTop = scroller.scrollTop;
    var fresh = false;
    scroller.setAttribute("aria-busy", where === "live" || where === "ack" ? "false" : "true");
    messages.forEach(function (m) {
      var existing = document.getElementById("msg-" + m.id);
      var node = renderMessage(m);
      if (existing) { existing.replaceWith(node); return; }
      if (where === "top") {
        log.insertBefore(node, log.firstChild);
      } else {
        // keep id order even if a catch-up page and a live event interleave
        var after = null;
        for (var child = log.lastElementChild; child; child = child.previousElementSibling) {
          if (parseInt(child.dataset.id, 10) < m.id) { after = child; break; }
        }
        if (after) { after.after(node); } else { log.insertBefore(node, log.firstChild); }
        fresh = true;
      }
      // The catch-up cursor follows the room's stream only: an ack can
      // arrive before the broadcast carrying other members' earlier messages
      // (with several server processes it travels separately), and moving
      // the cursor past them would skip them on the next catch-up.
      if (where !== "ack") { lastId = Math.max(lastId, m.id); }
      oldestId = oldestId === null ? m.id : Math.min(oldestId, m.id);
    });
    scroller.setAttribute("aria-busy", "false");
    if (where === "top") {
      scroller.scrollTop = previousTop + (scroller.scrollHeight - previousHeight);  // no jump
    } else if (fresh) {
      if (atBottom || where === "initial") { scrollToBottom(); } else { newBelow.hidden = false; }
    }
  }

  function removeMessage(id) {
    if (roomState.pinned && roomState.pinned.id === id) { pinned.hidden = true; }
    var node = document.getElementById("msg-" + id);
    if (!node) { return; }
    if (node.dataset.mine === "true") {
      node.classList.add("hidden-msg");
      var actions = node.querySelector(".chat-actions");
      if (actions) { actions.remove(); }
      if (!node.querySelector(".chat-held")) { node.appendChild(el("p", "chat-held", "A moderator hid this message.")); }
    } else {
      node.remove();
    }
  }

  function renderState(state) {
    roomState = state;
    pinnedBody.textContent = "";
    if (state.pinned) {
      var body = el("div", "chat-body");
      body.innerHTML = state.pinned.html;  // sanitised server HTML
      pinnedBody.appendChild(body);
      if (isMod) {
        pinnedBody.appendChild(modButton("Unpin", function () { modEmit("pin", { room: roomId, id: null }, "Unpinned."); }));
      }
    }
    pinned.hidden = !state.pinned;
    var lock = document.getElementById("chat-lock");
    if (lock) {
      lock.setAttribute("aria-pressed", state.locked ? "true" : "false");
      lock.textContent = state.locked ? "Unlock room" : "Lock room";
    }
    var slow = document.getElementById("chat-slow");
    if (slow) { slow.value = String(state.slow_mode); }
    updateStatus("");
  }

  function renderCard(c) {
    if (!c) { return; }
    card.textContent = "";
    var h = el("h2", null, c.headline || "You don't have to face this alone");
    h.id = "chat-card-heading";
    h.tabIndex = -1;
    card.appendChild(h);
    if (c.message) { card.appendChild(el("p", null, c.message)); }
    // The imminent text already leads with the emergency number.
    if (c.emergency_number && c.audience !== "imminent") {
      card.appendChild(el("p", "chat-card-emergency", (c.audience === "other" ? "If they are" : "If you are") +
        " in danger right now, call " + c.emergency_number + "."));
    }
    var list = el("ul", "chat-card-services");
    (c.services || []).forEach(function (s) {
      var item = el("li");
      item.appendChild(el("strong", null, s.name));
      if (s.phone) {
        var tel = el("a", null, "Call " + s.phone);
        tel.href = "tel:" + s.phone.replace(/[^0-9+]/g, "");
        item.appendChild(document.createTextNode(" "));
        item.appendChild(tel);
      }
      if (s.text) {
        // The listed line reads "Text SHOUT to 85258": link it as a ready message.
        var m = /^Text (?:([A-Z0-9]+) to )?([0-9][0-9 -]*)$/.exec(s.text);
        var sms = el(m ? "a" : "span", null, s.text);
        if (m) { sms.href = "sms:" + m[2].replace(/[^0-9]/g, "") + (m[1] ? "?body=" + m[1] : ""); }
        item.appendChild(document.createTextNode(" · "));
        item.appendChild(sms);
      }
      if (s.web) {
        var web = el("a", null, "Website");
        web.href = s.web;
        web.rel = "noopener noreferrer";
        item.appendChild(document.createTextNode(" · "));
        item.appendChild(web);
      }
      if (s.hours) { item.appendChild(el("span", "chat-card-hours", " (" + s.hours + ")")); }
      list.appendChild(item);
    });
    card.appendChild(list);
    card.appendChild(el("p", null, "Only you can see this. You can keep chatting; a moderator may check in."));
    var close = el("button", "button secondary", "Close this panel");
    close.type = "button";
    close.addEventListener("click", function () { card.hidden = true; input && input.focus(); });
    card.appendChild(close);
    card.hidden = false;
    h.focus();
  }

  // -- joining, history, catch-up -------------------------------------------------
  // The newest ids on screen, so a reconnect can drop those hidden meanwhile
  // (the newest only: the server bounds how many it answers for).
  function shownIds() {
    var ids = [];
    for (var child = log.lastElementChild; child && ids.length < 500; child = child.previousElementSibling) {
      var id = parseInt(child.dataset.id, 10);
      if (id > 0) { ids.push(id); }
    }
    return ids;
  }

  function join() {
    var payload = { room: roomId };
    if (connectedOnce) { payload.after = lastId; payload.shown = shownIds(); }
    socket.timeout(10000).emit("join", payload, function (err, res) {
      if (err) { updateStatus("Still connecting…"); return; }
      if (!res.ok) { statusEl.textContent = res.message; return; }
      presence = res.presence;
      renderState(res.state);
      (res.removed || []).forEach(removeMessage);
      if (!connectedOnce) {
        hasMore = res.more;
        olderBtn.hidden = !hasMore;
        syncedId = res.messages.length ? res.messages[res.messages.length - 1].id : 0;
      }
      addMessages(res.messages, connectedOnce ? "live" : "initial");
      if (connectedOnce && res.more) { catchUp(); }
      connectedOnce = true;
      updateStatus("Connected.");
      if (pending) { sendPending(); }  // resend with the same client id
    });
  }

  function catchUp() {
    socket.timeout(10000).emit("history", { room: roomId, after: lastId }, function (err, res) {
      if (err || !res.ok) { return; }
      addMessages(res.messages, "live");
      if (res.more) { catchUp(); }
    });
  }

  // Periodic sync. lastId follows live events, which can skip a message
  // whose broadcast was lost while later ones arrived; syncedId moves only
  // once the server's list of ids up to it is all on screen.
  var syncedId = null;
  var syncing = false;
  var SYNC_MS = 5000;
  function sync() {
    syncing = true;
    socket.timeout(10000).emit("sync", { room: roomId, after: syncedId }, function (err, res) {
      if (err || !res.ok) { syncing = false; return; }
      var missing = res.ids.filter(function (id) { return !document.getElementById("msg-" + id); });
      if (!missing.length) {
        if (res.ids.length) { syncedId = res.ids[res.ids.length - 1]; }
        syncing = false;
        return;
      }
      // Fetch from the first missing id; the next sync moves the cursor.
      socket.timeout(10000).emit("history", { room: roomId, after: missing[0] - 1 }, function (err2, page) {
        if (!err2 && page.ok) { addMessages(page.messages, "live"); }
        syncing = false;
      });
    });
  }
  setInterval(function () {
    if (socket.connected && connectedOnce && syncedId !== null && !syncing) { sync(); }
  }, SYNC_MS);

  var loadingOlder = false;
  function loadOlder() {
    if (!hasMore || loadingOlder || oldestId === null) { return; }
    loadingOlder = true;
    socket.timeout(10000).emit("history", { room: roomId, before: oldestId }, function (err, res) {
      loadingOlder = false;
      if (err || !res.ok) { return; }
      hasMore = res.more;
      olderBtn.hidden = !hasMore;
      addMessages(res.messages.slice().reverse(), "top");
    });
  }

  olderBtn.addEventListener("click", loadOlder);
  scroller.addEventListener("scroll", function () {
    if (scroller.scrollTop < 40) { loadOlder(); }
    if (nearBottom()) { newBelow.hidden = true; }
  });
  newBelow.addEventListener("click", scrollToBottom);

  // -- socket events -----------------------------------------------------------
  socket.on("connect", join);
  var ended = false;     // this login was ended (logout here or elsewhere): don't reconnect
  socket.on("disconnect", function () {
    if (!ended) { updateStatus("Reconnecting… messages you send will wait until we're back."); }
  });
  socket.on("session_ended", function (d) {
    // The text in the box is kept, so the member can copy it or send it after logging in.
    ended = true;
    socket.disconnect();
    if (sendBtn) { sendBtn.disabled = true; }
    showError(d.message);
    updateStatus(d.message);
  });
  socket.on("connect_error", function () { updateStatus("Can't reach the chat server; trying again…"); });
  socket.on("message", function (m) { if (m.room === roomId) { addMessages([m], "live"); } });
  // Messages the server stored together arrive as one event, in id order.
  socket.on("messages", function (d) { if (d.room === roomId) { addMessages(d.messages, "live"); } });
  socket.on("hidden", function (d) { if (d.room === roomId) { removeMessage(d.id); } });
  socket.on("support", function (d) {
    var node = document.getElementById("msg-" + d.id);
    var b = node && node.querySelector(".chat-support");
    if (b) { setSupportLabel(b, d.support); }
  });
  socket.on("room_state", function (s) { if (s.room === roomId) { renderState(s); } });
  socket.on("presence", function (d) { if (d.room === roomId) { presence = d.count; updateStatus(""); } });
  socket.on("notice", function (d) { updateStatus(d.message); showError(d.message); });
  var typingTimer = null;
  socket.on("typing", function (d) {
    if (d.room !== roomId) { return; }
    typingEl.textContent = "Someone is typing…";
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingEl.textContent = ""; }, 4000);
  });
  socket.on("chat_alert", function (a) {
    var list = document.getElementById("chat-alerts");
    if (!list) { return; }
    var item = el("li", "chat-alert risk-" + a.risk);
    var words = { imminent: "Imminent risk", high: "High risk", concern: "Concern" };
    // Who wrote it ("Anonymous member" for anonymous messages) and where.
    item.appendChild(el("strong", "chat-alert-title",
      (words[a.risk] || "Risk") + ": " + (a.author || "Anonymous member") + " in " + a.room.name));
    item.appendChild(document.createTextNode(" "));
    var link = el("a", null, a.status === "held" ? "(held message)" : "Go to message");
    link.href = a.url;
    item.appendChild(link);
    // Blurred until the moderator chooses to read it, as in the queue.
    var details = el("details", "sensitive");
    details.appendChild(el("summary", null, "Show the message (may be distressing)"));
    var body = el("div", "chat-body");
    body.innerHTML = a.html;  // sanitised server HTML
    details.appendChild(body);
    item.appendChild(details);
    if (a.conversation_url) {
      // One action: open (or return to) a private conversation with the writer.
      var form = el("form", "chat-alert-talk");
      form.method = "post";
      form.action = a.conversation_url;
      var token = el("input"); token.type = "hidden"; token.name = "csrf_token"; token.value = list.getAttribute("data-csrf") || "";
      var id = el("input"); id.type = "hidden"; id.name = "chat_message"; id.value = String(a.message_id);
      var button = el("button", null, "Talk privately with " + (a.author || "Anonymous member"));
      button.type = "submit";
      form.appendChild(token); form.appendChild(id); form.appendChild(button);
      item.appendChild(form);
    }
    list.insertBefore(item, list.firstChild);
  });

  // -- sending -------------------------------------------------------------------
  function startReply(m) {
    replyTo = m.id;
    replyingText.textContent = "Replying to " + m.author;
    replying.hidden = false;
    input.focus();
  }

  function cancelReply() { replyTo = null; replying.hidden = true; }

  function sendPending() {
    var sent = pending;
    sendBtn.disabled = true;
    socket.timeout(10000).emit("send", sent, function (err, res) {
      sendBtn.disabled = ended;
      if (err) {
        // No ack: keep the text and the same client id; we resend on reconnect.
        if (!ended) { showError("Not sent yet: the connection is slow. Your text is kept and will be sent when we reconnect."); }
        return;
      }
      if (pending !== sent) { return; }
      if (!res.ok) {
        // "busy" and "server" are passing troubles, and the message may yet
        // be stored: keep its id, so sending again cannot post it twice.
        // Any other refusal: the member can edit and try again (new id).
        if (res.error !== "busy" && res.error !== "server") { pending = null; }
        showError(res.message);
        input.focus();
        return;
      }
      pending = null;
      if (input.value === sent.text) { input.value = ""; }
      cancelReply();
      showError("");
      addMessages([res.message], "ack");
      scrollToBottom();
      if (res.card) { renderCard(res.card); }
    });
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      if (!text.trim()) { showError("Write something before sending."); input.focus(); return; }
      if (text.length > maxChars) {
        showError("That message is " + text.length + " characters; the limit is " + maxChars + ". Please shorten it.");
        return;
      }
      if (!pending || pending.text !== text) {
        pending = { room: roomId, client_id: newClientId(), text: text,
                    anonymous: !!(anonBox && anonBox.checked), reply_to: replyTo };
      }
      if (!socket.connected) {
        showError("Not connected yet. Your text is kept and will be sent when we reconnect.");
        return;
      }
      sendPending();
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      } else if (event.key === "Escape" && replyTo !== null) {
        cancelReply();
      }
    });
    var lastTyping = 0;
    input.addEventListener("input", function () {
      var now = Date.now();
      if (socket.connected && now - lastTyping > 3000) { lastTyping = now; socket.emit("typing", { room: roomId }); }
    });
    document.getElementById("chat-reply-cancel").addEventListener("click", cancelReply);
  }

  var slowApply = document.getElementById("chat-slow-apply");
  if (slowApply) {
    slowApply.addEventListener("click", function () {
      var seconds = parseInt(document.getElementById("chat-slow").value, 10);
      modEmit("slow", { room: roomId, seconds: seconds }, seconds ? "Slow mode is on." : "Slow mode is off.");
    });
    document.getElementById("chat-lock").addEventListener("click", function () {
      var lock = !roomState.locked;
      modEmit("lock", { room: roomId, locked: lock }, lock ? "Room locked." : "Room unlocked.");
    });
  }
})();
