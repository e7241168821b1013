/*
 * The admin console (/admin): sign-in, documents, unanswered questions, feedback, API keys and
 * the explain trace, over the JSON API. The session is an HttpOnly cookie set by
 * POST /v1/admin/session; its CSRF token is kept in this script's memory only and sent as
 * X-CSRF-Token with every change. Every value from the server is rendered as text, never as HTML.
 */
(function () {
  "use strict";

  var SECTIONS = ["documents", "unanswered", "feedback", "keys", "explain"];
  var csrf = null;
  var docs = [];

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function announce(text) {
    var region = $("announce");
    region.textContent = "";
    window.setTimeout(function () {
      region.textContent = text;
    }, 50);
  }

  function showError(text) {
    $("console-error").textContent = text || "";
  }

  function when(iso) {
    if (!iso) return "–";
    var date = new Date(iso);
    if (isNaN(date.getTime())) return iso;
    return date.toLocaleString(undefined, {
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });
  }

  function passages(n) {
    return n + (n === 1 ? " passage" : " passages");
  }

  function viewerHref(docId, chunkId) {
    var href = "/documents/" + encodeURIComponent(docId);
    return chunkId ? href + "#chunk=" + encodeURIComponent(chunkId) : href;
  }

  /* ---- the API ---------------------------------------------------------------------------- */

  function ApiError(status, detail) {
    this.status = status;
    this.message = detail;
  }

  function detailOf(body, status) {
    if (body && typeof body.detail === "string") return body.detail;
    if (body && Array.isArray(body.detail) && body.detail.length) {
      return body.detail
        .map(function (e) {
          return e.msg || JSON.stringify(e);
        })
        .join("; ");
    }
    return "the service answered " + status;
  }

  function api(method, path, payload, options) {
    var headers = { Accept: "application/json" };
    if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    return fetch(path, init).then(function (response) {
      if (options && options.raw && response.ok) return response;
      if (response.status === 204) return null;
      return response
        .json()
        .catch(function () {
          return null;
        })
        .then(function (body) {
          if (response.ok) return body;
          if (response.status === 401 && !(options && options.signIn)) {
            signedOut("Your session has ended: sign in again.");
          }
          throw new ApiError(response.status, detailOf(body, response.status));
        });
    });
  }

  function failed(error) {
    showError(error && error.message ? error.message : String(error));
  }

  function download(path, filename) {
    showError("");
    return api("GET", path, undefined, { raw: true })
      .then(function (response) {
        return response.blob();
      })
      .then(function (blob) {
        var url = URL.createObjectURL(blob);
        var link = el("a");
        link.href = url;
        link.download = filename;
        document.body.appendChild(link);
        link.click();
        link.remove();
        window.setTimeout(function () {
          URL.revokeObjectURL(url);
        }, 1000);
        announce("Downloaded " + filename + ".");
      })
      .catch(failed);
  }

  function confirmDialog(title, text, action) {
    var dialog = $("confirm");
    $("confirm-title").textContent = title;
    $("confirm-text").textContent = text;
    $("confirm-ok").textContent = action;
    var opener = document.activeElement;
    return new Promise(function (resolve) {
      dialog.addEventListener(
        "close",
        function () {
          if (opener && opener.focus && document.contains(opener)) opener.focus();
          resolve(dialog.returnValue === "ok");
        },
        { once: true }
      );
      dialog.returnValue = "cancel";
      dialog.showModal();
    });
  }

  /* ---- sign-in ---------------------------------------------------------------------------- */

  function signedOut(message) {
    csrf = null;
    $("console").hidden = true;
    $("sign-out").hidden = true;
    $("sign-in").hidden = false;
    $("sign-in-error").textContent = message || "";
    $("admin-key").focus();
  }

  function signedIn(session) {
    csrf = session.csrf_token;
    $("sign-in").hidden = true;
    $("sign-in-error").textContent = "";
    $("console").hidden = false;
    $("sign-out").hidden = false;
    show(currentSection(), false);
  }

  $("sign-in-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("admin-key");
    if (!input.value) {
      $("sign-in-error").textContent = "Enter the admin key.";
      input.focus();
      return;
    }
    api("POST", "/v1/admin/session", { key: input.value }, { signIn: true })
      .then(function (session) {
        input.value = "";
        signedIn(session);
        announce("Signed in.");
      })
      .catch(function (error) {
        $("sign-in-error").textContent =
          error.status === 401 ? "That is not the admin key." : error.message;
        input.focus();
      });
  });

  $("sign-out").addEventListener("click", function () {
    api("DELETE", "/v1/admin/session")
      .catch(function () {
        return null;
      })
      .then(function () {
        signedOut("");
        announce("Signed out.");
      });
  });

  /* ---- sections --------------------------------------------------------------------------- */

  function currentSection() {
    var name = window.location.hash.replace("#", "");
    return SECTIONS.indexOf(name) >= 0 ? name : "documents";
  }

  function show(name, moveFocus) {
    showError("");
    SECTIONS.forEach(function (other) {
      $("section-" + other).hidden = other !== name;
    });
    document.querySelectorAll(".tabs a").forEach(function (link) {
      if (link.getAttribute("data-section") === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
    document.title = $(name + "-title").textContent + " · Admin · Cluster Policy Assistant";
    if (moveFocus) {
      var heading = $(name + "-title");
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
    LOADERS[name]();
  }

  window.addEventListener("hashchange", function () {
    if (csrf) show(currentSection(), true);
  });

  /* ---- documents -------------------------------------------------------------------------- */

  var STATUS_TEXT = { indexed: "Indexed", duplicate: "Duplicate", failed: "Failed" };

  function loadDocuments() {
    return api("GET", "/v1/admin/documents")
      .then(function (body) {
        docs = body.items;
        var select = $("doc-type");
        var chosen = select.value;
        var types = {};
        docs.forEach(function (d) {
          if (d.doc_type) types[d.doc_type] = true;
        });
        while (select.options.length > 1) select.remove(1);
        Object.keys(types)
          .sort()
          .forEach(function (t) {
            select.appendChild(new Option(t.replace(/_/g, " "), t));
          });
        select.value = types[chosen] ? chosen : "";
        renderDocuments();
      })
      .catch(failed);
  }

  function matches(doc) {
    var query = $("doc-search").value.trim().toLowerCase();
    var type = $("doc-type").value;
    var origin = $("doc-origin").value;
    var status = $("doc-status").value;
    if (type && doc.doc_type !== type) return false;
    if (origin && doc.origin !== origin) return false;
    if (status && doc.status !== status) return false;
    if (!query) return true;
    return [doc.title, doc.source, doc.file, doc.doc_id].some(function (v) {
      return v && String(v).toLowerCase().indexOf(query) >= 0;
    });
  }

  function cell(row, text, className) {
    var td = el("td", className, text === null || text === undefined ? "–" : text);
    row.appendChild(td);
    return td;
  }

  /* Each cell names its column (data-label): on a phone the rows are shown as cards. */
  function labelCells(table) {
    var names = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) {
      return th.textContent.trim();
    });
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      Array.prototype.forEach.call(row.cells, function (td, i) {
        if (names[i] && td.colSpan === 1) td.setAttribute("data-label", names[i]);
      });
    });
  }

  function renderDocuments() {
    var body = $("doc-table").tBodies[0];
    body.textContent = "";
    var shown = docs.filter(matches);
    shown.forEach(function (doc) {
      var row = el("tr");
      var title = el("td", "title");
      if (doc.status === "indexed" && doc.doc_id) {
        var link = el("a", null, doc.title || doc.doc_id);
        link.href = viewerHref(doc.doc_id);
        link.target = "_blank";
        link.rel = "noopener";
        title.appendChild(link);
      } else {
        title.appendChild(el("span", null, doc.title || doc.file));
      }
      title.appendChild(el("span", "reason", doc.file));
      row.appendChild(title);
      cell(row, doc.doc_type ? doc.doc_type.replace(/_/g, " ") : null);
      cell(row, doc.source);
      cell(row, doc.year, "num");
      cell(row, doc.language);
      cell(row, doc.pages, "num");
      cell(row, doc.chunks, "num");
      cell(row, doc.origin === "upload" ? "Uploaded" : "Corpus");
      cell(row, when(doc.indexed_at));
      var status = cell(row, STATUS_TEXT[doc.status] || doc.status, "status-" + doc.status);
      if (doc.reason) status.appendChild(el("span", "reason", doc.reason));
      var actions = el("td");
      if (doc.status === "indexed" && doc.doc_id) {
        var remove = el("button", "secondary small", "Delete");
        remove.type = "button";
        remove.setAttribute("aria-label", "Delete " + (doc.title || doc.doc_id));
        remove.addEventListener("click", function () {
          deleteDocument(doc);
        });
        actions.appendChild(remove);
      }
      row.appendChild(actions);
      body.appendChild(row);
    });
    labelCells($("doc-table"));
    $("doc-count").textContent =
      shown.length === docs.length
        ? docs.length + (docs.length === 1 ? " file" : " files")
        : "Showing " + shown.length + " of " + docs.length + " files";
  }

  function deleteDocument(doc) {
    var name = doc.title || doc.doc_id;
    var note =
      doc.origin === "corpus"
        ? " It is part of the configured corpus: it comes back at the next reindex unless its file is removed there."
        : " The uploaded file is deleted too.";
    confirmDialog("Delete this document?", "“" + name + "” and its passages leave the index." + note, "Delete")
      .then(function (ok) {
        if (!ok) return null;
        showError("");
        return api("DELETE", "/v1/documents/" + encodeURIComponent(doc.doc_id)).then(function () {
          announce("Deleted “" + name + "”.");
          return loadDocuments();
        });
      })
      .catch(failed);
  }

  ["doc-search", "doc-type", "doc-origin", "doc-status"].forEach(function (id) {
    $(id).addEventListener("input", renderDocuments);
  });

  function uploadRow(file) {
    var item = el("li");
    item.appendChild(el("span", "name", file.name));
    var bar = el("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    item.appendChild(bar);
    var outcome = el("span", "outcome", "Waiting…");
    item.appendChild(outcome);
    $("uploads").appendChild(item);
    return { bar: bar, outcome: outcome };
  }

  function uploadOne(file, row) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      var form = new FormData();
      form.append("file", file, file.name);
      xhr.open("POST", "/v1/documents");
      xhr.setRequestHeader("Accept", "application/json");
      if (csrf) xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) row.bar.value = Math.round((event.loaded / event.total) * 100);
      });
      xhr.upload.addEventListener("load", function () {
        row.bar.removeAttribute("value"); // indeterminate while the file is indexed
        row.outcome.textContent = "Indexing…";
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch (e) {
          body = null;
        }
        row.bar.max = 100;
        row.bar.value = 100;
        if (xhr.status === 201 && body) {
          row.outcome.className = "outcome ok";
          row.outcome.textContent =
            body.status === "unchanged"
              ? "Unchanged: already indexed (" + passages(body.chunks) + ")"
              : "Indexed: " + passages(body.chunks) + " (" + body.doc_id + ")";
          resolve(true);
          return;
        }
        if (xhr.status === 401) signedOut("Your session has ended: sign in again.");
        row.outcome.className = "outcome fail";
        var detail = detailOf(body, xhr.status);
        var reason = body && body.reason && detail.indexOf(body.reason) !== 0 ? body.reason + ": " : "";
        row.outcome.textContent = "Failed: " + reason + detail;
        resolve(false);
      });
      xhr.addEventListener("error", function () {
        row.outcome.className = "outcome fail";
        row.outcome.textContent = "Failed: the service could not be reached";
        resolve(false);
      });
      row.outcome.textContent = "Uploading…";
      xhr.send(form);
    });
  }

  function uploadAll(files) {
    if (!files.length) return;
    showError("");
    var list = Array.prototype.slice.call(files);
    var rows = list.map(uploadRow);
    var good = 0;
    // One after the other: the store has one writer at a time.
    var chain = Promise.resolve();
    list.forEach(function (file, i) {
      chain = chain.then(function () {
        return uploadOne(file, rows[i]).then(function (ok) {
          if (ok) good += 1;
        });
      });
    });
    chain.then(function () {
      announce(good + " of " + list.length + " files indexed.");
      loadDocuments();
    });
  }

  $("files").addEventListener("change", function () {
    uploadAll(this.files);
    this.value = "";
  });

  var drop = $("drop");
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (event) {
      event.preventDefault();
      drop.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function () {
      drop.classList.remove("over");
    });
  });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer) uploadAll(event.dataTransfer.files);
  });

  function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function frame(text) {
      var name = "message";
      var data = [];
      text.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) name = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
      });
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          if (buffer.trim()) frame(buffer);
          return null;
        }
        buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, "\n");
        var at;
        while ((at = buffer.indexOf("\n\n")) >= 0) {
          frame(buffer.slice(0, at));
          buffer = buffer.slice(at + 2);
        }
        return pump();
      });
    }
    return pump();
  }

  $("reindex").addEventListener("click", function () {
    var button = this;
    var bar = $("reindex-progress");
    var text = $("reindex-text");
    showError("");
    button.disabled = true;
    $("reindex-status").hidden = false;
    bar.removeAttribute("value");
    text.textContent = "Reindexing: reading the files…";
    api("POST", "/v1/reindex?stream=true", undefined, { raw: true })
      .then(function (response) {
        return readEvents(response, function (name, data) {
          if (name === "progress") {
            if (data.total > 0) {
              bar.max = data.total;
              bar.value = data.done;
            }
            text.textContent =
              data.total > 0
                ? "Reindexing: " + data.done + " of " + data.total + " passages embedded"
                : "Reindexing: nothing changed so far";
          } else if (name === "done") {
            bar.max = 1;
            bar.value = 1;
            var parts = [
              data.indexed + " indexed",
              data.unchanged + " unchanged",
              data.removed + " removed",
              data.failed + " failed",
            ];
            var failures = data.failures.map(function (f) {
              return f.file.split("/").pop() + " (" + f.reason + ")";
            });
            text.textContent =
              "Reindexed in " + data.seconds.toFixed(1) + " s: " + parts.join(", ") +
              (failures.length ? ". Failed: " + failures.join("; ") : ".");
          } else if (name === "error") {
            throw new ApiError(500, data.detail);
          }
        });
      })
      .then(loadDocuments)
      .catch(function (error) {
        text.textContent = "Reindex failed.";
        failed(error);
      })
      .then(function () {
        button.disabled = false;
      });
  });

  /* ---- unanswered questions --------------------------------------------------------------- */

  var COVERAGE = { none: "Declined", partial: "Partial answer" };

  function loadUnanswered() {
    return api("GET", "/v1/admin/unanswered")
      .then(function (body) {
        var list = $("unanswered-list");
        list.textContent = "";
        var summary = body.total
          ? body.total + (body.total === 1 ? " question" : " questions") + " in " +
            body.topics.length + (body.topics.length === 1 ? " topic" : " topics") + "."
          : "No unanswered questions.";
        if (!body.recording) summary += " Recording is off (ASSISTANT_API__RECORD_UNANSWERED=false).";
        $("unanswered-summary").textContent = summary;
        body.topics.forEach(function (topic) {
          var box = el("section", "topic");
          var head = el("div", "topic-head");
          var title = el("h2", null, topic.topic);
          head.appendChild(title);
          head.appendChild(el("span", "count", topic.count + (topic.count === 1 ? " question" : " questions")));
          box.appendChild(head);
          var entries = el("ul", "plain-list");
          topic.questions.forEach(function (q) {
            var item = el("li", "entry");
            var row = el("div", "row");
            row.appendChild(el("span", "q", q.question));
            var remove = el("button", "secondary small", "Remove");
            remove.type = "button";
            remove.setAttribute("aria-label", "Remove “" + q.question + "”");
            remove.addEventListener("click", function () {
              showError("");
              api("DELETE", "/v1/admin/unanswered/" + q.id)
                .then(function () {
                  announce("Removed “" + q.question + "”.");
                  return loadUnanswered();
                })
                .catch(failed);
            });
            row.appendChild(remove);
            item.appendChild(row);
            var meta = [when(q.created_at), COVERAGE[q.coverage] || q.coverage];
            if (q.language) meta.push(q.language);
            if (q.turns_before) meta.push("follow-up after " + q.turns_before + " messages");
            item.appendChild(el("span", "meta", meta.join(" · ")));
            if (q.nearest.length) {
              // One link per document, its sections after the title.
              var byDoc = {};
              var order = [];
              q.nearest.forEach(function (n) {
                if (!byDoc[n.doc_id]) {
                  byDoc[n.doc_id] = { title: n.title, sections: [] };
                  order.push(n.doc_id);
                }
                if (n.section) byDoc[n.doc_id].sections.push(n.section);
              });
              var near = el("span", "meta", "Nearest: ");
              order.forEach(function (docId, i) {
                if (i) near.appendChild(document.createTextNode(" · "));
                var doc = byDoc[docId];
                var link = el("a", null, doc.title);
                link.href = viewerHref(docId);
                link.target = "_blank";
                link.rel = "noopener";
                near.appendChild(link);
                if (doc.sections.length) {
                  near.appendChild(document.createTextNode(" (" + doc.sections.join("; ") + ")"));
                }
              });
              item.appendChild(near);
            }
            entries.appendChild(item);
          });
          box.appendChild(entries);
          list.appendChild(box);
        });
        $("unanswered-export").disabled = !body.total;
      })
      .catch(failed);
  }

  $("unanswered-export").addEventListener("click", function () {
    download("/v1/admin/unanswered/export", "unanswered.jsonl");
  });

  /* ---- feedback --------------------------------------------------------------------------- */

  function loadFeedback() {
    var rating = $("feedback-rating").value;
    return api("GET", "/v1/admin/feedback" + (rating ? "?rating=" + rating : ""))
      .then(function (body) {
        var list = $("feedback-list");
        list.textContent = "";
        $("feedback-summary").textContent = body.total
          ? body.total + (body.total === 1 ? " rating." : " ratings.")
          : "No ratings yet.";
        body.items.forEach(function (f) {
          var item = el("li");
          var head = el("p", "meta");
          head.appendChild(
            el("span", "rating " + f.rating, f.rating === "up" ? "👍 Helpful" : "👎 Not helpful")
          );
          head.appendChild(document.createTextNode(" · " + when(f.created_at)));
          item.appendChild(head);
          item.appendChild(el("p", "q", f.question));
          item.appendChild(el("p", "answer-text", f.answer));
          if (f.comment) item.appendChild(el("blockquote", "comment", f.comment));
          if (f.citations.length) {
            var cites = el("ul", "citations");
            cites.setAttribute("aria-label", "Citations");
            f.citations.forEach(function (c) {
              var li = el("li");
              var link = el("a", null, "[" + c.n + "] " + c.doc_id);
              link.href = viewerHref(c.doc_id, c.chunk_id);
              link.target = "_blank";
              link.rel = "noopener";
              li.appendChild(link);
              cites.appendChild(li);
            });
            item.appendChild(cites);
          }
          list.appendChild(item);
        });
        $("feedback-export").disabled = !body.total;
      })
      .catch(failed);
  }

  $("feedback-rating").addEventListener("input", loadFeedback);
  $("feedback-export").addEventListener("click", function () {
    download("/v1/feedback/export", "feedback.jsonl");
  });

  /* ---- API keys --------------------------------------------------------------------------- */

  function loadKeys() {
    return api("GET", "/v1/admin/keys")
      .then(function (body) {
        var rows = $("key-table").tBodies[0];
        rows.textContent = "";
        body.items
          .slice()
          .reverse()
          .forEach(function (key) {
            var row = el("tr");
            cell(row, key.name, "title");
            cell(row, key.prefix + "…");
            cell(row, key.rate);
            cell(row, key.admin ? "Admin" : "Script");
            cell(row, when(key.created_at));
            cell(
              row,
              key.revoked ? "Revoked " + when(key.revoked_at) : "Active",
              key.revoked ? "status-failed" : "status-indexed"
            );
            var actions = el("td");
            if (!key.revoked) {
              var revoke = el("button", "secondary small", "Revoke");
              revoke.type = "button";
              revoke.setAttribute("aria-label", "Revoke key " + key.name);
              revoke.addEventListener("click", function () {
                revokeKey(key);
              });
              actions.appendChild(revoke);
            }
            row.appendChild(actions);
            rows.appendChild(row);
          });
        labelCells($("key-table"));
        if (!body.items.length) {
          var empty = el("tr");
          var td = el("td", "muted", "No API keys yet.");
          td.colSpan = 7;
          empty.appendChild(td);
          rows.appendChild(empty);
        }
      })
      .catch(failed);
  }

  function revokeKey(key) {
    confirmDialog(
      "Revoke this key?",
      "Scripts using “" + key.name + "” (" + key.prefix + "…) get 401 from their next request" +
        (key.admin ? ", and consoles signed in with it are signed out" : "") + ". This cannot be undone.",
      "Revoke"
    )
      .then(function (ok) {
        if (!ok) return null;
        showError("");
        return api("DELETE", "/v1/admin/keys/" + encodeURIComponent(key.id)).then(function () {
          announce("Revoked the key “" + key.name + "”.");
          return loadKeys();
        });
      })
      .catch(failed);
  }

  $("key-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var name = $("key-name");
    var rate = $("key-rate");
    $("key-error").textContent = "";
    if (!name.value.trim()) {
      $("key-error").textContent = "Give the key a name: who or what uses it.";
      name.focus();
      return;
    }
    var admin = $("key-admin");
    api("POST", "/v1/admin/keys", {
      name: name.value.trim(),
      rate: rate.value.trim() || "600/minute",
      admin: admin.checked,
    })
      .then(function (created) {
        name.value = "";
        admin.checked = false;
        $("key-created").hidden = false;
        var token = $("key-token");
        token.value = created.token;
        token.focus();
        token.select();
        announce("Key “" + created.name + "” created. Copy its token now: it is shown once.");
        return loadKeys();
      })
      .catch(function (error) {
        $("key-error").textContent = error.message;
      });
  });

  $("key-copy").addEventListener("click", function () {
    var token = $("key-token");
    token.select();
    var copied = navigator.clipboard
      ? navigator.clipboard.writeText(token.value)
      : Promise.reject(new Error("no clipboard"));
    copied
      .then(function () {
        announce("Token copied.");
      })
      .catch(function () {
        announce("Copy it with Ctrl+C: the token is selected.");
      });
  });

  /* ---- explain ---------------------------------------------------------------------------- */

  function table(caption, headers, rows) {
    var wrap = el("div", "table-scroll");
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", caption);
    wrap.tabIndex = 0;
    var t = el("table");
    t.appendChild(el("caption", "visually-hidden", caption));
    var head = el("tr");
    headers.forEach(function (h) {
      var th = el("th", null, h);
      th.scope = "col";
      head.appendChild(th);
    });
    t.appendChild(el("thead")).appendChild(head);
    var body = el("tbody");
    rows.forEach(function (cells) {
      var row = el("tr");
      cells.forEach(function (c) {
        if (c instanceof Node) row.appendChild(el("td")).appendChild(c);
        else cell(row, c);
      });
      body.appendChild(row);
    });
    t.appendChild(body);
    wrap.appendChild(t);
    return wrap;
  }

  function topShares(contributions) {
    if (!contributions) return "";
    return Object.keys(contributions)
      .sort(function (a, b) {
        return Math.abs(contributions[b]) - Math.abs(contributions[a]);
      })
      .slice(0, 3)
      .map(function (k) {
        var v = contributions[k];
        return k + " " + (v >= 0 ? "+" : "") + v.toFixed(2);
      })
      .join(", ");
  }

  function renderExplain(answer) {
    var out = $("explain-result");
    out.textContent = "";
    var trace = answer.explain || {};
    var box = el("div", "card");
    box.appendChild(el("h2", null, "Answer"));
    box.appendChild(el("p", "answer-text", answer.answer));
    var verdict = el("dl", "verdict");
    var decision = trace.decision || {};
    [
      ["Outcome", trace.outcome || answer.coverage],
      ["Decided by", trace.decided_by],
      ["Decision rule", decision.rule],
      [
        "Evidence",
        decision.evidence !== undefined
          ? decision.evidence + (decision.threshold !== undefined ? " (threshold " + decision.threshold + ")" : "")
          : null,
      ],
      ["Searched as", trace.searched_as],
    ].forEach(function (pair) {
      if (pair[1] === undefined || pair[1] === null) return;
      verdict.appendChild(el("dt", null, pair[0]));
      verdict.appendChild(el("dd", null, pair[1]));
    });
    box.appendChild(verdict);
    if (answer.citations && answer.citations.length) {
      var cites = el("ul", "citations");
      cites.setAttribute("aria-label", "Citations");
      answer.citations.forEach(function (c) {
        var li = el("li");
        var link = el("a", null, "[" + c.n + "] " + c.title + (c.page ? ", p. " + c.page : ""));
        link.href = viewerHref(c.doc_id, c.chunk_id);
        link.target = "_blank";
        link.rel = "noopener";
        li.appendChild(link);
        cites.appendChild(li);
      });
      box.appendChild(cites);
    }
    out.appendChild(box);

    var units = (trace.reading && trace.reading.best) || [];
    out.appendChild(el("h2", null, "Candidate units (" + ((trace.reading && trace.reading.units) || 0) + " read)"));
    out.appendChild(
      table(
        "Candidate units, best first",
        ["Score", "Kind", "Text", "Document", "Strongest features"],
        units.map(function (u) {
          return [u.score, u.kind, el("span", "unit-text", u.text), u.doc_id, el("span", "shares", topShares(u.contributions))];
        })
      )
    );
    out.appendChild(el("h2", null, "Passages retrieved"));
    out.appendChild(
      table(
        "Passages retrieved",
        ["Rank", "Document", "Section", "Page", "Score"],
        (trace.retrieval || []).map(function (r) {
          return [r.rank, r.doc_id, r.section, r.page, r.score];
        })
      )
    );
    var inputs = decision.inputs || {};
    out.appendChild(el("h2", null, "Answerability inputs"));
    out.appendChild(
      table(
        "Answerability inputs",
        ["Input", "Value"],
        Object.keys(inputs).map(function (k) {
          return [k, inputs[k]];
        })
      )
    );
  }

  $("explain-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var question = $("explain-question").value.trim();
    $("explain-error").textContent = "";
    if (!question) {
      $("explain-error").textContent = "Type a question.";
      $("explain-question").focus();
      return;
    }
    var button = this.querySelector("button");
    button.disabled = true;
    $("explain-result").textContent = "Answering…";
    api("POST", "/v1/ask", { question: question, explain: true })
      .then(renderExplain)
      .catch(function (error) {
        $("explain-result").textContent = "";
        $("explain-error").textContent = error.message;
      })
      .then(function () {
        button.disabled = false;
      });
  });

  $("explain-question").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("explain-form").requestSubmit();
    }
  });

  var LOADERS = {
    documents: loadDocuments,
    unanswered: loadUnanswered,
    feedback: loadFeedback,
    keys: loadKeys,
    explain: function () {
      return null;
    },
  };

  /* ---- start ------------------------------------------------------------------------------ */

  api("GET", "/v1/admin/session", undefined, { signIn: true })
    .then(function (session) {
      if (session.signed_in) signedIn(session);
      else signedOut("");
    })
    .catch(function (error) {
      signedOut(error.message); // the console is disabled, or the service unreachable
    });
})();
