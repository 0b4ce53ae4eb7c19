/* Live review queue and staff dashboard.
 *
 * Uses the vendored socket.io client (static/vendor/socket.io, from npm),
 * the same one chat uses, so no third-party origin is contacted. The pages
 * work fully without it: this only adds live rows, counters, claims and
 * desktop notifications. Every piece of server data is inserted with
 * textContent, never as HTML.
 */
(function () {
  "use strict";
  // Every moderator and staff page (and chat, for moderators) keeps a socket
  // with a heartbeat, so presence and out-of-hours mode follow the person,
  // not only the queue page.
  var script = document.currentScript;
  var root = document.querySelector("[data-live]") || document.createElement("div");
  var area = root.getAttribute("data-live") || (script && script.getAttribute("data-presence"));
  if (!area || typeof window.io !== "function") { return; }
  var ns = "/" + area;
  var statusEl = document.querySelector("[data-live-status]");
  var socket = null, beat = null;
  // Same words as forum/review/labels.py.
  var STATUS_WORDS = { open: "Needs acknowledging", acknowledged: "Acknowledged", in_progress: "Being worked on",
                       resolved: "Resolved", pending: "Waiting for a moderator", escalated: "With staff" };

  function setStatus(on) {
    if (!statusEl) { return; }
    statusEl.textContent = on ? "Live updates on" : "Live updates reconnecting…";
    statusEl.classList.toggle("on", on);
  }

  function connect() {
    socket = window.io(ns, { transports: ["websocket", "polling"] });
    socket.on("connect", function () {
      setStatus(true);
      clearInterval(beat);
      // The heartbeat keeps this moderator counted as online (out-of-hours
      // mode depends on it) and refreshes the counters.
      beat = setInterval(function () { socket.emit("heartbeat", onCounters); }, 30000);
    });
    socket.on("disconnect", function () { setStatus(false); clearInterval(beat); });
    socket.on("connect_error", function () {
      // Refused by the server (not a moderator, bad origin): stop retrying.
      if (!socket.active && statusEl) { statusEl.textContent = "Live updates unavailable"; }
    });
    ["counters", "item", "case", "imminent", "realert", "debrief"].forEach(function (event) {
      socket.on(event, function (data) { handle(event, data); });
    });
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
    head.appendChild(el("span", "badge risk-" + item.risk, item.risk_words || item.risk));
    head.appendChild(el("span", "badge", item.tier_words || item.tier.replace(/_/g, " ")));
    head.appendChild(el("span", "", item.target_type.replace(/_/g, " ") + " by " + (item.author || "(unknown)")));
    var waited = item.created_at ? Math.max(0, Math.floor((Date.now() - Date.parse(item.created_at)) / 60000)) : 0;
    head.appendChild(el("span", "", "· waiting " + waited + " min"));
    head.appendChild(el("span", "", item.claimed_by ? "· claimed by " + item.claimed_by : ""));
    head.lastChild.setAttribute("data-claim", "");
    li.appendChild(head);
    var why = el("p", "reasons", "Why: ");
    (item.reason_words || item.reasons).forEach(function (r) { why.appendChild(el("span", "reason", r)); });
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
      if (s) { s.textContent = STATUS_WORDS[c.status] || c.status.replace(/_/g, " "); }
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
    tr.appendChild(el("td", "", "–"));
    var tier = el("td");
    tier.appendChild(el("span", "badge risk-" + c.risk, c.risk));
    tr.appendChild(tier);
    tr.appendChild(el("td", "", "Needs acknowledging"));
    tr.appendChild(el("td", "", "new: acknowledge now"));
    tr.appendChild(el("td", "", "just now"));
    tr.appendChild(el("td", "", "not yet"));
    body.insertBefore(tr, body.firstChild);
    announce("[data-new-cases]", "New " + c.risk + "-risk case #" + c.id + " needs acknowledging.");
    notify("New crisis case", "A " + c.risk + "-risk case needs a staff member.", "/staff/cases/" + c.id);
  }

  function handle(event, data) {
    if (event === "counters") { onCounters(data); }
    else if (event === "item") { onItem(data); }
    else if (event === "case") { onCase(data); }
    else if (event === "imminent" && data.unscreened) {
      notify("Unscreened item", "Screening failed, so risk could not be ruled out. Please look now.", data.url);
    } else if (event === "imminent") {
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

  // Periodic sync: a live event from another process is lost while Redis is
  // down, so ask for the open rows newer than this page that it lacks.
  var syncAfter = parseInt(root.getAttribute("data-sync-after"), 10);
  var syncing = false;
  var SYNC_MS = 5000;
  function shownIds(attr) {
    var ids = [];
    document.querySelectorAll("[" + attr + "]").forEach(function (r) {
      var id = parseInt(r.getAttribute(attr), 10);
      if (id > syncAfter && ids.length < 500) { ids.push(id); }
    });
    return ids;
  }
  function sync() {
    var staff = ns === "/staff";
    syncing = true;
    socket.timeout(10000).emit("sync", { after: syncAfter, shown: shownIds(staff ? "data-case" : "data-item") },
      function (err, res) {
        syncing = false;
        if (err || !res || !res.ok) { return; }
        (res.items || []).forEach(onItem);
        (res.cases || []).forEach(onCase);
      });
  }
  if (syncAfter >= 0 && (document.querySelector("[data-queue]") || document.querySelector("[data-cases]"))) {
    setInterval(function () { if (socket && socket.connected && !syncing) { sync(); } }, SYNC_MS);
  }

  var button = document.querySelector("[data-enable-notifications]");
  if (button && "Notification" in window && Notification.permission === "default") {
    button.hidden = false;
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function () { button.hidden = true; });
    });
  }
  connect();
}());

// Response templates: one click puts the text into the message box (the
// link reloads the page with it in the box when this script doesn't run).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-use-template]");
    if (!link) { return; }
    var box = document.getElementById(link.getAttribute("data-use-template"));
    if (!box) { return; }
    event.preventDefault();
    var text = link.getAttribute("data-template-body") || "";
    box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + text : text;
    var details = box.closest("details");
    if (details) { details.open = true; }
    box.focus();
  });
}());
