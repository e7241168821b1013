/*
 * Document viewer for citation links: /documents/{doc_id}#chunk=ID or #page=N.
 * It loads /v1/documents/{doc_id} and renders every value as text (textContent), never as HTML.
 */
(function () {
  "use strict";

  var MARK = "/documents/";
  var path = window.location.pathname;
  var at = path.lastIndexOf(MARK);
  var prefix = at >= 0 ? path.slice(0, at) : "";
  var docId = "";
  try {
    docId = decodeURIComponent(at >= 0 ? path.slice(at + MARK.length) : "");
  } catch (e) {
    docId = "";
  }

  var statusEl = document.getElementById("status");
  var docEl = document.getElementById("doc");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "status" + (kind ? " " + kind : "");
    statusEl.hidden = !text;
  }

  function fail(title, message) {
    docEl.hidden = true;
    statusEl.textContent = "";
    statusEl.className = "status error";
    statusEl.hidden = false;
    statusEl.appendChild(el("strong", null, title));
    statusEl.appendChild(el("span", null, message));
    var back = el("a", null, "Back to the portal");
    back.href = prefix + "/";
    statusEl.appendChild(back);
    document.title = title + " · Cluster Policy Assistant";
  }

  var LABELS = {
    source: "Source",
    doc_type: "Type",
    year: "Year",
    language: "Language",
    pages: "Pages",
    chunks: "Passages",
    file: "File",
  };

  function render(doc) {
    document.title = (doc.title || doc.doc_id) + " · Cluster Policy Assistant";
    document.getElementById("doc-title").textContent = doc.title || doc.doc_id;
    document.getElementById("doc-kind").textContent = String(doc.doc_type || "document")
      .replace(/_/g, " ");
    var meta = document.getElementById("doc-meta");
    Object.keys(LABELS).forEach(function (key) {
      var value = doc[key];
      if (value === null || value === undefined || value === "" || key === "doc_type") return;
      var row = el("div");
      row.appendChild(el("dt", null, LABELS[key]));
      row.appendChild(el("dd", null, value));
      meta.appendChild(row);
    });

    var passages = (doc.passages || []).slice().sort(function (a, b) {
      return (a.position || 0) - (b.position || 0);
    });
    var paged = passages.some(function (p) {
      return p.page !== null && p.page !== undefined;
    });
    var body = document.getElementById("doc-body");
    var toc = document.getElementById("doc-toc");
    var group = null;
    var groupPage;
    var section;
    passages.forEach(function (p) {
      var page = p.page === undefined ? null : p.page;
      if (!group || (paged && page !== groupPage)) {
        group = el("section", "page");
        groupPage = page;
        section = undefined;
        if (paged && page !== null) {
          group.id = "page-" + page;
          group.appendChild(el("h2", "page-label", "Page " + page));
          var link = el("a", null, String(page));
          link.href = "#page=" + page;
          link.setAttribute("aria-label", "Page " + page);
          toc.appendChild(link);
        }
        body.appendChild(group);
      }
      if (section === undefined || (p.section || null) !== section) {
        section = p.section || null;
        if (section) group.appendChild(el("h3", "section", section));
      }
      var passage = el("div", "passage");
      passage.id = "chunk-" + p.chunk_id;
      passage.tabIndex = -1;
      var text = el("p");
      String(p.text || "").split("\n").forEach(function (line, k) {
        var span = el("span", "line", line);
        span.setAttribute("data-line", String(k));
        text.appendChild(span);
      });
      passage.appendChild(text);
      group.appendChild(passage);
    });
    if (toc.childNodes.length > 1) {
      toc.insertBefore(el("span", "toc-label", "Pages"), toc.firstChild);
      toc.hidden = false;
    }
    if (!passages.length) body.appendChild(el("p", "empty", "This document has no text."));
    docEl.hidden = false;
    setStatus("");
    focusTarget(true);
  }

  var ITEM = /^\s*(?:[-*+•▪◦●‣·–—○■□➢➤►✓✔❖\ue000-\uf8ff]|\d{1,3}[.)]|[a-z][)]|\((?:[ivx]{1,4}|[a-z])\))\s+/;

  /** Mark the cited line of a passage: a sentence's or table row's line, or a list's lead-in
   * with the items that follow it. */
  function markLines(passage, value) {
    var first = parseInt(value, 10);
    if (isNaN(first)) return;
    var lines = passage.querySelectorAll(".line");
    if (first < 0 || first >= lines.length) return;
    var lead = /:\s*$/.test(lines[first].textContent);
    for (var k = first; k < lines.length; k++) {
      if (k > first && !(lead && ITEM.test(lines[k].textContent))) break;
      lines[k].classList.add("highlight");
    }
  }

  /** Scroll to and highlight the passage or page named in the fragment. */
  function focusTarget(initial) {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    var chunk = params.get("chunk");
    var page = params.get("page");
    var target = null;
    if (chunk) target = document.getElementById("chunk-" + chunk);
    else if (page) target = document.getElementById("page-" + page);
    Array.prototype.forEach.call(document.querySelectorAll(".highlight"), function (node) {
      node.classList.remove("highlight");
      node.removeAttribute("aria-current");
    });
    if (!target) {
      if (chunk || page) {
        setStatus(
          chunk
            ? "The cited passage is no longer in this document; it may have been updated."
            : "This document has no page " + page + ".",
          "notice"
        );
      }
      return;
    }
    setStatus("");
    target.classList.add("highlight");
    target.setAttribute("aria-current", "location");
    markLines(target, params.get("line"));
    if (!target.hasAttribute("tabindex")) target.tabIndex = -1;
    target.scrollIntoView({ block: initial ? "center" : "start", behavior: "auto" });
    target.focus({ preventScroll: true });
  }

  window.addEventListener("hashchange", function () {
    focusTarget(false);
  });

  if (!docId) {
    fail("No document", "The address does not name a document.");
    return;
  }
  fetch(prefix + "/v1/documents/" + encodeURIComponent(docId), {
    headers: { Accept: "application/json" },
  })
    .then(function (response) {
      if (response.status === 404) {
        fail("Document not found", "There is no document “" + docId + "” in the collection. " +
          "It may have been removed.");
        return null;
      }
      if (!response.ok) {
        fail("Could not load the document", "The service answered with HTTP " +
          response.status + ". Please try again later.");
        return null;
      }
      return response.json();
    })
    .then(function (doc) {
      if (doc) render(doc);
    })
    .catch(function () {
      fail("Could not load the document", "The service could not be reached.");
    });
})();
