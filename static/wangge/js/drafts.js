/* Offline drafts of the report form. A report made without network is kept in IndexedDB
   (fields and photos as Blobs, with its client key) and sent by fetch() once the browser
   is back online, or on the next page load. The server files one case per client key, so
   a draft sent twice (two tabs, an answer lost on the way back) is still one case; the
   draft leaves the phone only after the server said yes. */
(function () {
  "use strict";
  var DB_NAME = "wangge-drafts";
  var STORE = "reports";
  var section = document.getElementById("drafts");
  var list = document.getElementById("drafts-list");
  var sending = false;

  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "key" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function all() { return run("readonly", function (store) { return store.getAll(); }); }
  function put(draft) { return run("readwrite", function (store) { store.put(draft); }); }
  function remove(key) { return run("readwrite", function (store) { store.delete(key); }); }

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) { return String(values[name]); });
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function currentUser() { return section ? section.dataset.user : ""; }

  /* --- the list on the page ------------------------------------------------------ */

  function itemFor(key) {
    return list ? list.querySelector('li[data-key="' + CSS.escape(key) + '"]') : null;
  }

  function setState(li, text, state) {
    var status = li.querySelector(".draft-status");
    status.textContent = text;
    li.dataset.state = state;
  }

  function render(drafts) {
    if (!section || !list) { return; }
    drafts.forEach(function (draft) {
      if (itemFor(draft.key)) { return; }
      var li = document.createElement("li");
      li.className = "draft";
      li.dataset.key = draft.key;
      var title = document.createElement("p");
      title.className = "draft-title";
      title.textContent = (draft.label ? draft.label + " · " : "") + (draft.description || "").slice(0, 80);
      var meta = document.createElement("p");
      meta.className = "meta";
      meta.textContent = new Date(draft.savedAt).toLocaleString(document.documentElement.lang || undefined) + " · " +
        fmt(section.dataset.msgPhotos, { count: draft.photos.length });
      var status = document.createElement("p");
      status.className = "draft-status";
      li.appendChild(title);
      li.appendChild(meta);
      li.appendChild(status);
      list.appendChild(li);
      if (draft.refused) {
        showRefused(li, draft.key, draft.refused);
      } else {
        setState(li, section.dataset.msgWaiting, "waiting");
      }
    });
    updateCount();
  }

  function updateCount() {
    var items = list.querySelectorAll("li.draft");
    var waiting = list.querySelectorAll("li.draft:not([data-state=sent])").length;
    document.getElementById("drafts-count").textContent = String(waiting);
    section.hidden = items.length === 0;
  }

  function showRefused(li, key, reason) {
    setState(li, fmt(section.dataset.msgRefused, { reason: reason }), "refused");
    if (li.querySelector("button")) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button small danger";
    button.textContent = section.dataset.msgDelete;
    button.addEventListener("click", function () {
      remove(key).then(function () { li.remove(); updateCount(); });
    });
    li.appendChild(button);
  }

  function showSent(li, answer) {
    setState(li, "", "sent");
    var status = li.querySelector(".draft-status");
    var link = document.createElement("a");
    link.href = answer.url;
    link.textContent = fmt(section.dataset.msgSent, { number: answer.number });
    status.appendChild(link);
  }

  /* --- sending ----------------------------------------------------------------------- */

  function formDataOf(draft) {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrfToken());
    draft.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
    draft.photos.forEach(function (photo) { data.append("photo", photo.blob, photo.name); });
    return data;
  }

  // Resolves to "sent", "refused" or "offline" (keep it, try again later).
  function sendOne(draft) {
    var li = itemFor(draft.key);
    if (li) { setState(li, section.dataset.msgSending, "sending"); }
    return fetch(draft.url, {
      method: "POST",
      body: formDataOf(draft),
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken(), "X-Wangge-Draft": "1" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      // A login page or a proxy's error page: not an answer about the draft. Keep it.
      if (type.indexOf("application/json") === -1 || response.status >= 500) { return "offline"; }
      return response.json().then(function (answer) {
        if (response.ok) {
          return remove(draft.key).then(function () {
            if (li) { showSent(li, answer); }
            return "sent";
          });
        }
        // The server looked at it and said no (e.g. a place outside the worker's cells):
        // sending again would not help. Kept until the worker deletes it.
        draft.refused = answer.detail || String(response.status);
        return put(draft).then(function () {
          if (li) { showRefused(li, draft.key, draft.refused); }
          return "refused";
        });
      });
    }, function () {
      if (li) { setState(li, section.dataset.msgWaiting, "waiting"); }
      return "offline";
    });
  }

  function sendAll() {
    if (sending || !navigator.onLine) { return Promise.resolve(); }
    sending = true;
    return all().then(function (drafts) {
      var mine = drafts.filter(function (d) { return d.user === currentUser() && !d.refused; });
      // One at a time, oldest first; stop at the first network failure.
      mine.sort(function (a, b) { return a.savedAt - b.savedAt; });
      return mine.reduce(function (chain, draft) {
        return chain.then(function (state) {
          return state === "offline" ? state : sendOne(draft);
        });
      }, Promise.resolve("start"));
    }).catch(function () { /* no IndexedDB: nothing was kept */ }).then(function () {
      sending = false;
      if (list) { updateCount(); }
    });
  }

  function load() {
    return all().then(function (drafts) {
      render(drafts.filter(function (d) { return d.user === currentUser(); }));
    }).catch(function () { /* private mode without IndexedDB */ });
  }

  /* Keeps a report made offline. `fields` are [name, value] pairs, `photos` Files. */
  function save(fields, photos, extra) {
    var key = (fields.filter(function (p) { return p[0] === "client_key"; })[0] || [])[1];
    var draft = {
      key: key,
      user: currentUser(),
      url: section ? section.dataset.url : window.location.pathname,
      fields: fields,
      photos: photos.map(function (file) { return { name: file.name, type: file.type, blob: file }; }),
      description: extra.description || "",
      label: extra.label || "",
      savedAt: Date.now()
    };
    return put(draft).then(function () { render([draft]); return draft; });
  }

  window.wangge = Object.assign(window.wangge || {}, {
    drafts: { save: save, sendAll: sendAll, available: !!window.indexedDB }
  });

  if (section) {
    load().then(sendAll);
    window.addEventListener("online", sendAll);
  }
})();
