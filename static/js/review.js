/* Live review queue and staff dashboard.
 *
 * A tiny Socket.IO (protocol 5, Engine.IO 4) client over a plain WebSocket,
 * so no third-party script is loaded. The pages work fully without it: this
 * only adds live rows, counters, claims and desktop notifications.
 * Every piece of server data is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root || !window.WebSocket) { return; }
  var ns = "/" + root.getAttribute("data-live");
  var statusEl = document.querySelector("[data-live-status]");
  var ackId = 0, acks = {}, ws = null, retry = 1000, beat = null;

  function setStatus(on) {
    if (!statusEl) { return; }
    statusEl.textContent = on ? "Live updates on" : "Live updates reconnecting…";
    statusEl.classList.toggle("on", on);
  }

  function send(event, data, cb) {
    if (!ws || ws.readyState !== 1) { return; }
    var id = "";
    if (cb) { id = String(++ackId); acks[id] = cb; }
    var args = data === undefined ? [event] : [event, data];
    ws.send("42" + ns + "," + id + JSON.stringify(args));
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + "/socket.io/?EIO=4&transport=websocket");
    ws.onmessage = function (msg) { onPacket(String(msg.data)); };
    ws.onclose = function () {
      setStatus(false);
      clearInterval(beat);
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  function onPacket(p) {
    var type = p.charAt(0);
    if (type === "0") { ws.send("40" + ns + ","); return; }   // Engine.IO open -> join namespace
    if (type === "2") { ws.send("3"); return; }                // ping -> pong
    if (type !== "4") { return; }
    var kind = p.charAt(1), rest = p.slice(2);
    if (rest.indexOf(ns + ",") === 0) { rest = rest.slice(ns.length + 1); }
    var m = /^(\d*)(.*)$/.exec(rest), id = m[1], body = m[2];
    if (kind === "0") {
      retry = 1000; setStatus(true);
      beat = setInterval(function () { send("heartbeat", undefined, onCounters); }, 30000);
      return;
    }
    if (kind === "4") { if (statusEl) { statusEl.textContent = "Live updates unavailable"; } ws.onclose = null; ws.close(); return; }
    var args = body ? JSON.parse(body) : [];
    if (kind === "3") { if (acks[id]) { acks[id](args[0]); delete acks[id]; } return; }
    if (kind === "2") { handle(args[0], args[1]); }
  }

  function onCounters(c) {
    if (!c) { return; }
    Object.keys(c).forEach(function (k) {
      document.querySelectorAll('[data-counter="' + k + '"]').forEach(function (el) { el.textContent = c[k]; });
    });
  }

  function notify(title, body, url) {
    if (!("Notification" in window) || Notification.permission !== "granted") { return; }
    var n = new Notification(title, { body: body, tag: url, requireInteraction: true });
    n.onclick = function () { window.focus(); location.href = url; };
  }

  function announce(selector, text) {
    var el = document.querySelector(selector);
    if (!el) { return; }
    el.hidden = false;
    el.textContent = text;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function itemRow(item) {
    var li = el("li", "queue-item live-new tier-" + item.tier);
    li.setAttribute("data-item", item.id);
    var head = el("p", "item-head");
    var a = el("a", "", "Item #" + item.id);
    a.href = item.url;
    head.appendChild(a);
    head.appendChild(el("span", "badge risk-" + item.risk, item.risk + " risk"));
    head.appendChild(el("span", "badge", item.tier.replace(/_/g, " ")));
    head.appendChild(el("span", "", item.target_type.replace(/_/g, " ")));
    head.appendChild(el("span", "", item.claimed_by ? "· claimed by " + item.claimed_by : ""));
    head.lastChild.setAttribute("data-claim", "");
    li.appendChild(head);
    var why = el("p", "reasons", "Why: ");
    item.reasons.forEach(function (r) { why.appendChild(el("span", "reason", r.replace(/_/g, " "))); });
    li.appendChild(why);
    li.appendChild(el("p", "", "Open the item to read it."));
    return li;
  }

  function onItem(item) {
    var page = root.getAttribute("data-item-page");
    if (page) {
      if (String(item.id) === page && String(item.version) !== root.getAttribute("data-version")) {
        announce("[data-changed-notice]", "");
        var n = document.querySelector("[data-changed-notice]");
        n.textContent = "This item has just changed" + (item.claimed_by ? " (claimed by " + item.claimed_by + ")" : "") + ". ";
        var link = el("a", "", "Reload to see the latest version");
        link.href = item.url;
        n.appendChild(link);
      }
      return;
    }
    var list = document.querySelector("[data-queue]");
    if (!list) { return; }
    var existing = list.querySelector('[data-item="' + item.id + '"]');
    var open = item.status === "pending" || item.status === "escalated";
    if (existing) {
      if (!open) { existing.remove(); return; }
      var claim = existing.querySelector("[data-claim]");
      if (claim) { claim.textContent = item.claimed_by ? "· claimed by " + item.claimed_by : ""; }
      return;
    }
    if (!open) { return; }
    var empty = document.querySelector("[data-empty]");
    if (empty) { empty.remove(); }
    // Keep priority order: insert before the first row of lower priority.
    var row = itemRow(item);
    row.setAttribute("data-priority", item.priority);
    var before = null;
    list.querySelectorAll("[data-item]").forEach(function (r) {
      var p = Number(r.getAttribute("data-priority") || -1);
      if (!before && p >= 0 && p < item.priority) { before = r; }
    });
    list.insertBefore(row, before || (item.priority >= 1000 ? list.firstChild : null));
    announce("[data-new-items]", "New item #" + item.id + " (" + item.risk + " risk) has arrived.");
  }

  function onCase(c) {
    if (root.getAttribute("data-case-page") === String(c.id) && c.status) {
      var s = document.querySelector("[data-case-status]");
      if (s) { s.textContent = c.status.replace(/_/g, " "); }
    }
    var body = document.querySelector("[data-cases]");
    if (!body || !c.new || body.querySelector('[data-case="' + c.id + '"]')) { return; }
    var none = document.querySelector("[data-no-cases]");
    if (none) { none.remove(); }
    var tr = el("tr");
    tr.setAttribute("data-case", c.id);
    var td = el("td"), a = el("a", "", "Case #" + c.id);
    a.href = "/staff/cases/" + c.id;
    td.appendChild(a);
    tr.appendChild(td);
    var risk = el("td");
    risk.appendChild(el("span", "badge risk-" + c.risk, c.risk));
    tr.appendChild(risk);
    tr.appendChild(el("td", "", c.status));
    tr.appendChild(el("td", "", "new: acknowledge now"));
    tr.appendChild(el("td", "", "just now"));
    body.insertBefore(tr, body.firstChild);
    announce("[data-new-cases]", "New " + c.risk + "-risk case #" + c.id + " needs acknowledging.");
    notify("New crisis case", "A " + c.risk + "-risk case needs a staff member.", "/staff/cases/" + c.id);
  }

  function handle(event, data) {
    if (event === "counters") { onCounters(data); }
    else if (event === "item") { onItem(data); }
    else if (event === "case") { onCase(data); }
    else if (event === "imminent") {
      notify("Imminent risk item", "A member may be in immediate danger. Please look now.", data.url);
    } else if (event === "realert") {
      var url = data.url || "/review/";
      announce("[data-new-items], [data-new-cases]", "Reminder: an item has missed its deadline. ");
      notify("Missed deadline", "An urgent item is still waiting.", url);
    } else if (event === "debrief") {
      announce("[data-new-cases]", "A moderator has asked for a debrief.");
    }
  }

  // Case timers tick down live (the server-rendered text is the no-JS fallback).
  function tick() {
    document.querySelectorAll("[data-due]").forEach(function (t) {
      var left = Math.round((Date.parse(t.getAttribute("data-due")) - Date.now()) / 1000);
      if (left < 0) {
        t.textContent = "overdue by " + Math.floor(-left / 60) + " min";
        t.classList.add("overdue");
      } else {
        t.textContent = Math.floor(left / 60) + " min " + (left % 60) + " s left to acknowledge";
      }
    });
  }
  if (document.querySelector("[data-due]")) { setInterval(tick, 1000); }

  var button = document.querySelector("[data-enable-notifications]");
  if (button && "Notification" in window && Notification.permission === "default") {
    button.hidden = false;
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function () { button.hidden = true; });
    });
  }
  connect();
}());
