/*!
 * Cluster Policy Assistant: embeddable chat widget.
 *
 * One self-contained script, no framework, no build step, nothing loaded from a CDN. Embed with
 *   <script src="https://HOST/widget.js" data-title="…" data-placeholder="…" data-open></script>
 * The API base URL is the folder the script was loaded from (override: data-api-base), so the
 * widget works on any page that may call the API (see the service's CORS allow-list).
 *
 * Language: data-lang (a BCP 47 tag: "fr", "pl-PL"), else the nearest lang attribute of the page,
 * else the browser's. For an official EU language other than English the interface texts come
 * from GET /v1/locales/{code} (fetched once, kept for the session); until they arrive, and for
 * any other language or when the fetch fails, the widget is in English. data-title and
 * data-placeholder, when given, are used as they are in every language.
 *
 * The script adds one <cluster-assistant-widget> element (or configures one already on the page
 * through the same data-* attributes). The element has open(), close(), reset() and ask(text), and
 * dispatches `cluster-assistant:delta` and `cluster-assistant:answer` events. The accent colour
 * follows the CSS custom property --cpa-accent (and --cpa-accent-dark) when the page sets it.
 *
 * Theme: data-theme="light", "dark" or "auto" (the default: the browser's prefers-color-scheme).
 * In the dark theme, accent-coloured text and focus rings use --cpa-accent-light, a light tint of
 * the accent that reads on dark backgrounds (default #93c5fd).
 * The conversation lives in sessionStorage; the last 10 messages are sent with each question.
 *
 * Security: answers, titles and document text are always rendered as text (textContent or text
 * nodes). The one innerHTML assignment below writes the static TEMPLATE, which holds no data.
 */
(function () {
  "use strict";

  var TAG = "cluster-assistant-widget";
  if (!window.customElements || window.customElements.get(TAG)) return;

  var SCRIPT = document.currentScript;
  var HISTORY_LIMIT = 10; // messages sent with each question
  var STORED_LIMIT = 60; // messages kept in sessionStorage
  var MAX_CONTENT = 8000; // the API's limit for one message
  var MAX_QUESTION = 2000; // … and for a question
  var NARROW = "(max-width: 480px)";

  // The interface texts in English, keyed like the `ui.*` entries of assistant/locales/*.json
  // (without the prefix); GET /v1/locales/{code} serves the same keys in one language. A key
  // that a fetched catalogue lacks (an older server) is shown in English, marked lang="en".
  var EN = {
    title: "Cluster Policy Assistant",
    placeholder: "Ask about European cluster policy…",
    new_conversation: "New conversation",
    close_chat: "Close chat",
    close: "Close (Esc)",
    conversation: "Conversation",
    suggestions: "Suggested questions",
    close_source: "Close source",
    send: "Send question",
    rate: "Rate this answer",
    helpful: "Helpful",
    not_helpful: "Not helpful",
    you_said: "You said: ",
    assistant_said: "Assistant: ",
    sources: "Sources",
    source: "Source",
    partial: "Partial answer: the documents do not give what was asked",
    unchecked: "Some statements could not be checked against the sources.",
    thanks: "Thanks for your feedback!",
    sending: "Sending…",
    feedback_failed: "Could not send feedback. Please try again.",
    verified: "Verified quote",
    not_verified: "Not verified",
    too_many_wait: "Too many requests: please retry in {seconds} s.",
    too_many: "Too many requests: please wait a moment and retry.",
    not_sent: "The question could not be sent.",
    could_not_answer: "The assistant could not answer: {detail}",
    unavailable: "The assistant is unavailable right now (HTTP {status}).",
    interrupted: "The answer was interrupted. Please try again.",
    unreachable: "Could not reach the assistant. Check your connection and try again.",
    open_chat: "Open chat: {title}",
    hide_chat: "Hide chat",
    subtitle: "Answers with cited sources",
    hello: "Hello! Ask me about European cluster policy.",
    hint: "Every sentence of an answer is quoted from a document and cites it, so you can " +
      "check the source. When the documents do not say, I will tell you.",
    suggestion_1: "What is a cluster organisation?",
    suggestion_2: "Should a region create clusters from scratch?",
    suggestion_3: "Which services does the ECCP offer to clusters?",
    open_document: "Open document",
    new_tab: "(opens in a new tab)",
    your_question: "Your question",
    keys: "Enter sends, Shift+Enter adds a new line.",
    foot: "Answers are quoted from the documents. Check the sources.",
    refused: "Not in the documents",
    writing: "The assistant is writing",
    page: "page {page}",
    document: "document",
  };
  var EU_LANGUAGES = "bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv"
    .split(" ");

  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (match, name) {
      var value = values ? values[name] : undefined;
      return value === undefined || value === null ? match : String(value);
    });
  }

  /**
   * t(key, values): the text of `key` in `messages` (one language's, from /v1/locales), else in
   * English, with its `{name}` placeholders filled from `values`. t.has(key): whether the text
   * is in that language rather than the English fallback.
   */
  function translator(messages) {
    function own(key) {
      return messages && Object.prototype.hasOwnProperty.call(messages, key) &&
        typeof messages[key] === "string" ? messages[key] : undefined;
    }
    function t(key, values) {
      var text = own(key);
      if (text === undefined) text = Object.prototype.hasOwnProperty.call(EN, key) ? EN[key] : key;
      return fill(text, values);
    }
    t.has = function (key) {
      return messages ? own(key) !== undefined : Object.prototype.hasOwnProperty.call(EN, key);
    };
    return t;
  }

  var english = translator(null);

  /** The ISO 639-1 code of a BCP 47 tag ("pl-PL" gives "pl") if it is an EU language, else null. */
  function euLanguage(tag) {
    var code = String(tag || "").trim().replace(/_/g, "-").split("-")[0].toLowerCase();
    return EU_LANGUAGES.indexOf(code) >= 0 ? code : null;
  }

  /** The language asked for: data-lang, else the nearest lang attribute, else the browser's. */
  function wantedLanguage(node) {
    var explicit = node.getAttribute("data-lang");
    if (explicit && explicit.trim()) return explicit;
    var holder = node.closest("[lang]");
    var page = (holder && holder.getAttribute("lang")) || document.documentElement.lang;
    if (page && page.trim()) return page;
    return (window.navigator && window.navigator.language) || "";
  }

  /** The string entries of a /v1/locales `messages` object, or null when there are none. */
  function localeMessages(raw) {
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
    var messages = {};
    var count = 0;
    Object.keys(raw).forEach(function (key) {
      if (typeof raw[key] === "string") {
        messages[key] = raw[key];
        count += 1;
      }
    });
    return count ? messages : null;
  }

  function apiBase(script) {
    var explicit = script && script.getAttribute("data-api-base");
    try {
      if (explicit) return new URL(explicit, document.baseURI).href.replace(/\/+$/, "");
      if (script && script.src) return new URL(".", script.src).href.replace(/\/+$/, "");
    } catch (e) {
      /* fall through */
    }
    return window.location.origin;
  }

  var BASE = apiBase(SCRIPT);

  // Static markup only: no value from the API, the page or the user is ever put in here.
  var TEMPLATE = `
<style>
  :host {
    all: initial;
    color-scheme: light;
    --accent: var(--cpa-accent, #1d4ed8);
    --accent-dark: var(--cpa-accent-dark, #1e3a8a);
    --accent-text: var(--accent);
    --suggestion-text: var(--accent-dark);
    --accent-soft: #eef2ff;
    --ink: #0f172a;
    --muted: #64748b;
    --quote: #334155;
    --line: #e2e8f0;
    --field-line: #cbd5e1;
    --placeholder: #64748b;
    --hover: #e2e8f0;
    --disabled: #cbd5e1;
    --bg: #ffffff;
    --bg-soft: #f8fafc;
    --ok: #047857;
    --ok-soft: #ecfdf5;
    --warn: #b45309;
    --warn-soft: #fffbeb;
    --refused-line: #fde68a;
    --refused-ink: #78350f;
    --error-soft: #fef2f2;
    --error-line: #fecaca;
    --error-ink: #991b1b;
    --scrim: rgba(15, 23, 42, .28);
    --focus-glow: rgba(29, 78, 216, .2);
    --ring: rgba(15, 23, 42, .06);
    --radius: 16px;
    font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial,
      "Noto Sans", "Liberation Sans", system-ui, sans-serif;
    font-size: 15px;
    line-height: 1.5;
    color: var(--ink);
  }
  /* The dark theme: the browser's preference (data-theme="auto", the default) or data-theme="dark". */
  @media (prefers-color-scheme: dark) {
    :host(:not([data-theme="light"])) {
      color-scheme: dark;
      --accent-text: var(--cpa-accent-light, #93c5fd);
      --suggestion-text: var(--cpa-accent-light, #bfdbfe);
      --accent-soft: #1e3a8a;
      --ink: #e2e8f0; --muted: #94a3b8; --quote: #cbd5e1;
      --line: #334155; --field-line: #475569; --placeholder: #94a3b8; --hover: #334155;
      --disabled: #334155;
      --bg: #1e293b; --bg-soft: #0f172a;
      --ok: #6ee7b7; --ok-soft: #064e3b; --warn: #fbbf24; --warn-soft: #451a03;
      --refused-line: #92400e; --refused-ink: #fde68a;
      --error-soft: #450a0a; --error-line: #7f1d1d; --error-ink: #fecaca;
      --scrim: rgba(2, 6, 23, .6); --focus-glow: rgba(147, 197, 253, .35);
    --ring: rgba(148, 163, 184, .35);
    }
  }
  :host([data-theme="dark"]) {
    color-scheme: dark;
    --accent-text: var(--cpa-accent-light, #93c5fd);
    --suggestion-text: var(--cpa-accent-light, #bfdbfe);
    --accent-soft: #1e3a8a;
    --ink: #e2e8f0; --muted: #94a3b8; --quote: #cbd5e1;
    --line: #334155; --field-line: #475569; --placeholder: #94a3b8; --hover: #334155;
    --disabled: #334155;
    --bg: #1e293b; --bg-soft: #0f172a;
    --ok: #6ee7b7; --ok-soft: #064e3b; --warn: #fbbf24; --warn-soft: #451a03;
    --refused-line: #92400e; --refused-ink: #fde68a;
    --error-soft: #450a0a; --error-line: #7f1d1d; --error-ink: #fecaca;
    --scrim: rgba(2, 6, 23, .6); --focus-glow: rgba(147, 197, 253, .35);
    --ring: rgba(148, 163, 184, .35);
  }
  *, *::before, *::after { box-sizing: border-box; }
  [hidden] { display: none !important; }
  button, textarea { font: inherit; color: inherit; }
  button { cursor: pointer; }
  button:disabled { cursor: default; }
  :focus { outline: none; }
  :focus-visible { outline: 3px solid var(--accent-text); outline-offset: 2px; }
  .sr-only {
    position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
    clip: rect(0 0 0 0); white-space: nowrap; border: 0;
  }
  svg { width: 20px; height: 20px; flex: none; fill: none; stroke: currentColor;
    stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; }

  .launcher {
    position: fixed; right: 24px; bottom: 24px; z-index: 2147483000;
    width: 60px; height: 60px; border-radius: 50%; border: 0;
    display: grid; place-items: center;
    background: var(--accent); color: #fff;
    box-shadow: 0 10px 25px -5px rgba(29, 78, 216, .45), 0 4px 10px rgba(15, 23, 42, .15);
    transition: transform .15s ease, background .15s ease;
  }
  .launcher:hover { background: var(--accent-dark); transform: translateY(-1px); }
  .launcher svg { width: 28px; height: 28px; }
  .launcher .i-close { display: none; }
  .root.is-open .launcher .i-chat { display: none; }
  .root.is-open .launcher .i-close { display: block; }

  .panel {
    position: fixed; right: 24px; bottom: 96px; z-index: 2147483000;
    width: 400px; height: min(680px, calc(100vh - 120px));
    display: flex; flex-direction: column; overflow: hidden;
    background: var(--bg); border-radius: var(--radius);
    box-shadow: 0 24px 48px -12px rgba(15, 23, 42, .35), 0 0 0 1px var(--ring);
    animation: rise .18s ease-out;
  }
  @keyframes rise { from { opacity: 0; transform: translateY(12px); } to { opacity: 1; transform: none; } }

  .head {
    display: flex; align-items: center; gap: 12px; padding: 14px 12px 14px 18px;
    background: linear-gradient(135deg, var(--accent) 0%, var(--accent-dark) 100%); color: #fff;
  }
  .avatar {
    width: 38px; height: 38px; border-radius: 12px; display: grid; place-items: center;
    background: rgba(255, 255, 255, .16); flex: none;
  }
  .titles { flex: 1; min-width: 0; }
  .title { margin: 0; font-size: 16px; font-weight: 650; line-height: 1.25;
    overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .subtitle { margin: 2px 0 0; font-size: 12.5px; opacity: .85; line-height: 1.3; }
  .icon {
    width: 36px; height: 36px; border-radius: 10px; border: 0; flex: none;
    display: grid; place-items: center; background: transparent; color: inherit;
  }
  .head .icon:hover { background: rgba(255, 255, 255, .16); }
  .head :focus-visible { outline-color: #fff; }

  .log {
    position: relative; flex: 1; overflow-y: auto; padding: 18px 16px 8px; background: var(--bg-soft);
    overscroll-behavior: contain;
  }
  .welcome { padding: 6px 4px 4px; }
  .welcome .hello { margin: 0 0 6px; font-size: 17px; font-weight: 650; }
  .welcome .hint { margin: 0 0 16px; color: var(--muted); font-size: 14px; }
  .suggestions { display: flex; flex-direction: column; align-items: flex-start; gap: 8px; }
  .suggestion {
    text-align: left; border: 1px solid var(--line); background: var(--bg);
    border-radius: 12px; padding: 9px 12px; font-size: 14px; color: var(--suggestion-text);
    transition: border-color .15s ease, background .15s ease;
  }
  .suggestion:hover { border-color: var(--accent-text); background: var(--accent-soft); }
  .root.has-messages .welcome { display: none; }

  .msg { display: flex; flex-direction: column; margin: 0 0 16px; }
  .msg.user { align-items: flex-end; }
  .msg.bot { align-items: flex-start; }
  .msg.user .bubble {
    max-width: 85%; background: var(--accent); color: #fff;
    border-radius: 16px 16px 4px 16px; padding: 9px 14px; white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .msg.bot .bubble {
    max-width: 100%; background: var(--bg); border: 1px solid var(--line);
    border-radius: 4px 16px 16px 16px; padding: 12px 14px; overflow-wrap: anywhere;
    box-shadow: 0 1px 2px rgba(15, 23, 42, .04);
  }
  .bubble p { margin: 0 0 8px; }
  .bubble p:last-child, .bubble ul:last-child { margin-bottom: 0; }
  .bubble ul { margin: 0 0 8px; padding-left: 20px; }
  .bubble li { margin: 0 0 4px; }
  .bubble.streaming .text::after {
    content: ""; display: inline-block; width: 7px; height: 15px; margin-left: 2px;
    vertical-align: -2px; background: var(--accent); border-radius: 1px;
    animation: blink 1s steps(2, start) infinite;
  }
  @keyframes blink { to { visibility: hidden; } }

  .msg.bot.refused .bubble {
    background: var(--warn-soft); border-color: var(--refused-line); border-left: 4px solid #f59e0b;
    color: var(--refused-ink);
  }
  .partial-label {
    margin: 0 0 6px; font-size: 12px; font-weight: 700; letter-spacing: .04em;
    text-transform: uppercase; color: var(--warn);
  }
  .refusal-label {
    display: flex; align-items: center; gap: 6px; margin: 0 0 6px;
    font-size: 12px; font-weight: 700; letter-spacing: .04em; text-transform: uppercase;
    color: var(--warn);
  }
  .refusal-label svg { width: 16px; height: 16px; }
  .msg.error .bubble {
    background: var(--error-soft); border: 1px solid var(--error-line); color: var(--error-ink);
    border-radius: 12px; padding: 10px 14px;
  }
  .note { margin: 8px 0 0; font-size: 12.5px; color: var(--warn); }

  .cite {
    display: inline-grid; place-items: center; min-width: 20px; height: 20px; padding: 0 5px;
    margin: 0 1px; vertical-align: 1px; border-radius: 10px; border: 0;
    background: var(--accent-soft); color: var(--accent-text); font-size: 11.5px; font-weight: 700;
    line-height: 1; transition: background .15s ease, color .15s ease;
  }
  .cites { white-space: nowrap; }
  .cite:hover, .cite[aria-expanded="true"] { background: var(--accent); color: #fff; }

  .typing { display: inline-flex; gap: 4px; padding: 4px 2px; }
  .typing i {
    width: 7px; height: 7px; border-radius: 50%; background: #94a3b8;
    animation: bounce 1.2s infinite ease-in-out;
  }
  .typing i:nth-child(2) { animation-delay: .15s; }
  .typing i:nth-child(3) { animation-delay: .3s; }
  @keyframes bounce { 0%, 80%, 100% { transform: translateY(0); opacity: .5; }
    40% { transform: translateY(-5px); opacity: 1; } }

  .sources { margin: 10px 0 0; width: 100%; }
  .sources h3 {
    margin: 0 0 6px; font-size: 11.5px; font-weight: 700; letter-spacing: .06em;
    text-transform: uppercase; color: var(--muted);
  }
  .sources ol { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; }
  .source {
    width: 100%; display: flex; align-items: flex-start; gap: 8px; text-align: left;
    border: 1px solid var(--line); background: var(--bg); border-radius: 10px;
    padding: 7px 10px; font-size: 13px; line-height: 1.35;
    transition: border-color .15s ease, background .15s ease;
  }
  .source:hover { border-color: var(--accent-text); background: var(--accent-soft); }
  .source .n {
    flex: none; min-width: 20px; height: 20px; border-radius: 10px; display: grid;
    place-items: center; background: var(--accent-soft); color: var(--accent-text);
    font-size: 11.5px; font-weight: 700;
  }
  .source .t { display: block; font-weight: 600; color: var(--ink); }
  .source .w { display: block; color: var(--muted); font-size: 12px; margin-top: 1px; }

  .actions { display: flex; align-items: center; gap: 4px; margin-top: 6px; min-height: 30px; }
  .vote {
    width: 30px; height: 30px; border-radius: 8px; border: 0; display: grid; place-items: center;
    background: transparent; color: var(--muted);
  }
  .vote svg { width: 17px; height: 17px; }
  .vote:hover:not(:disabled) { background: var(--hover); color: var(--ink); }
  .vote:disabled { opacity: .45; }
  .vote[aria-pressed="true"] { opacity: 1; color: var(--accent-text); background: var(--accent-soft); }
  .thanks { font-size: 12.5px; color: var(--muted); margin-left: 4px; }

  .scrim {
    position: absolute; inset: 0; z-index: 1; background: var(--scrim);
    animation: fade .15s ease-out;
  }
  @keyframes fade { from { opacity: 0; } to { opacity: 1; } }
  .card {
    position: absolute; left: 10px; right: 10px; bottom: 86px; z-index: 2;
    max-height: calc(100% - 150px); overflow-y: auto;
    background: var(--bg); border-radius: 14px; padding: 14px 16px 16px;
    box-shadow: 0 18px 40px -10px rgba(15, 23, 42, .35), 0 0 0 1px var(--ring);
    animation: rise .15s ease-out;
  }
  .card-head { display: flex; align-items: flex-start; gap: 10px; }
  .card-n {
    flex: none; min-width: 24px; height: 24px; border-radius: 12px; display: grid;
    place-items: center; background: var(--accent); color: #fff; font-size: 12.5px;
    font-weight: 700; margin-top: 1px;
  }
  .card-title { flex: 1; margin: 0; font-size: 15px; font-weight: 650; line-height: 1.35; }
  .card .icon { width: 30px; height: 30px; margin: -4px -6px 0 0; color: var(--muted); }
  .card .icon:hover { background: var(--hover); color: var(--ink); }
  .card-meta { margin: 6px 0 0 34px; font-size: 12.5px; color: var(--muted); }
  .badge {
    display: inline-flex; align-items: center; gap: 4px; margin: 8px 0 0 34px;
    font-size: 11.5px; font-weight: 700; border-radius: 999px; padding: 2px 9px;
  }
  .badge svg { width: 13px; height: 13px; stroke-width: 3; }
  .badge.ok { background: var(--ok-soft); color: var(--ok); }
  .badge.no { background: var(--warn-soft); color: var(--warn); }
  .card-snippet {
    margin: 10px 0 12px 34px; padding: 8px 12px; border-left: 3px solid var(--accent-text);
    background: var(--bg-soft); border-radius: 0 8px 8px 0; font-size: 13.5px; color: var(--quote);
    white-space: pre-wrap; overflow-wrap: anywhere;
  }
  .card-link {
    display: inline-flex; align-items: center; gap: 6px; margin-left: 34px;
    color: var(--accent-text); font-weight: 600; font-size: 14px; text-decoration: none;
    border-radius: 6px;
  }
  .card-link:hover { text-decoration: underline; }
  .card-link svg { width: 16px; height: 16px; }

  .composer {
    display: flex; align-items: flex-end; gap: 8px; padding: 12px 12px 6px;
    border-top: 1px solid var(--line); background: var(--bg);
  }
  .composer textarea {
    flex: 1; resize: none; min-height: 44px; max-height: 140px; padding: 11px 14px;
    border: 1px solid var(--field-line); border-radius: 12px; background: var(--bg); line-height: 1.4;
    transition: border-color .15s ease, box-shadow .15s ease;
  }
  .composer textarea::placeholder { color: var(--placeholder); }
  .composer textarea:focus-visible {
    outline: none; border-color: var(--accent-text);
    box-shadow: 0 0 0 3px var(--focus-glow);
  }
  .send {
    width: 44px; height: 44px; border-radius: 12px; border: 0; display: grid;
    place-items: center; background: var(--accent); color: #fff; flex: none;
    transition: background .15s ease;
  }
  .send:hover:not(:disabled) { background: var(--accent-dark); }
  .send:disabled { background: var(--disabled); }
  .foot { margin: 0; padding: 2px 14px 10px; font-size: 11.5px; color: var(--muted);
    text-align: center; background: var(--bg); }

  @media (max-width: 480px) {
    .panel {
      inset: 0; width: 100%; height: 100%; max-height: none; border-radius: 0;
      height: 100dvh;
    }
    .root.is-open .launcher { display: none; }
    .launcher { right: 16px; bottom: 16px; }
    .card { left: 8px; right: 8px; }
  }
  @media (prefers-reduced-motion: reduce) {
    *, *::before, *::after { animation: none !important; transition: none !important; }
  }
</style>
<div class="root">
  <button class="launcher" type="button" aria-expanded="false" aria-controls="cpa-panel"
      aria-haspopup="dialog">
    <svg class="i-chat" viewBox="0 0 24 24" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z"/><path d="M8.5 12h.01M12 12h.01M15.5 12h.01" stroke-width="2.6"/></svg>
    <svg class="i-close" viewBox="0 0 24 24" aria-hidden="true"><path d="M6 9l6 6 6-6"/></svg>
  </button>
  <section class="panel" id="cpa-panel" role="dialog" aria-modal="false"
      aria-labelledby="cpa-title" aria-describedby="cpa-subtitle" hidden>
    <header class="head">
      <div class="avatar" aria-hidden="true">
        <svg viewBox="0 0 24 24"><path d="M4 19.5A2.5 2.5 0 0 1 6.5 17H20V3H6.5A2.5 2.5 0 0 0 4 5.5v14z"/><path d="M4 19.5A2.5 2.5 0 0 0 6.5 22H20v-5"/><path d="M9 8h7M9 11.5h5"/></svg>
      </div>
      <div class="titles">
        <h2 class="title" id="cpa-title"></h2>
        <p class="subtitle" id="cpa-subtitle" data-t="subtitle"></p>
      </div>
      <button class="icon new" type="button" data-t-label="new_conversation"
          data-t-title="new_conversation">
        <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 20h9"/><path d="M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"/></svg>
      </button>
      <button class="icon close" type="button" data-t-label="close_chat" data-t-title="close">
        <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M18 6L6 18M6 6l12 12"/></svg>
      </button>
    </header>
    <div class="log" role="log" aria-live="polite" aria-relevant="additions"
        data-t-label="conversation">
      <div class="welcome">
        <p class="hello" data-t="hello"></p>
        <p class="hint" data-t="hint"></p>
        <div class="suggestions" role="group" data-t-label="suggestions">
          <button type="button" class="suggestion" data-t="suggestion_1"></button>
          <button type="button" class="suggestion" data-t="suggestion_2"></button>
          <button type="button" class="suggestion" data-t="suggestion_3"></button>
        </div>
      </div>
      <div class="messages"></div>
    </div>
    <div class="scrim" hidden></div>
    <div class="card" role="dialog" aria-modal="false" aria-labelledby="cpa-card-title" hidden>
      <div class="card-head">
        <span class="card-n" aria-hidden="true"></span>
        <h3 class="card-title" id="cpa-card-title" tabindex="-1"></h3>
        <button class="icon card-close" type="button" data-t-label="close_source">
          <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M18 6L6 18M6 6l12 12"/></svg>
        </button>
      </div>
      <p class="card-meta"></p>
      <span class="badge"><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M5 12.5l4.5 4.5L19 7.5"/></svg><span class="badge-text"></span></span>
      <blockquote class="card-snippet"></blockquote>
      <a class="card-link" target="_blank" rel="noopener noreferrer"><span data-t="open_document"></span>
        <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"/></svg>
        <span class="sr-only" data-t="new_tab"></span>
      </a>
    </div>
    <form class="composer" novalidate>
      <label class="sr-only" for="cpa-input" data-t="your_question"></label>
      <textarea id="cpa-input" rows="1" maxlength="2000" enterkeyhint="send" autocomplete="off"
          aria-describedby="cpa-keys"></textarea>
      <span class="sr-only" id="cpa-keys" data-t="keys"></span>
      <button class="send" type="submit" data-t-label="send">
        <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M5 12h14M13 6l6 6-6 6"/></svg>
      </button>
    </form>
    <p class="foot" data-t="foot"></p>
  </section>
</div>
<template id="tpl-refusal">
  <p class="refusal-label"><svg viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="9"/><path d="M12 8h.01M11 12h1v4h1"/></svg><span data-t="refused"></span></p>
</template>
<template id="tpl-actions">
  <div class="actions" role="group" data-t-label="rate">
    <button class="vote up" type="button" data-t-label="helpful" data-t-title="helpful"
        aria-pressed="false">
      <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M7 10v11H4a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1h3zM7 10l4-8a3 3 0 0 1 3 3v4h5.5a2 2 0 0 1 2 2.3l-1.4 8A2 2 0 0 1 18.1 21H7"/></svg>
    </button>
    <button class="vote down" type="button" data-t-label="not_helpful" data-t-title="not_helpful"
        aria-pressed="false">
      <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M17 14V3h3a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1h-3zM17 14l-4 8a3 3 0 0 1-3-3v-4H4.5a2 2 0 0 1-2-2.3l1.4-8A2 2 0 0 1 5.9 3H17"/></svg>
    </button>
    <span class="thanks" role="status"></span>
  </div>
</template>
`;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function where(c, t) {
    var parts = [];
    if (c.section) parts.push(String(c.section));
    // The printed page number when the document has one ("8–9" for a spread), else the PDF page.
    if (c.page_label) parts.push(t("page", { page: c.page_label }));
    else if (c.page !== null && c.page !== undefined) parts.push(t("page", { page: c.page }));
    return parts.join(" · ");
  }

  /** A same-site http(s) URL for a citation's document link, or null. */
  function documentUrl(base, c) {
    var path = typeof c.url === "string" && c.url.charAt(0) === "/" ? c.url : null;
    if (!path && c.doc_id) {
      path = "/documents/" + encodeURIComponent(c.doc_id) +
        (c.chunk_id ? "#chunk=" + encodeURIComponent(c.chunk_id) : "");
    }
    if (!path) return null;
    try {
      var url = new URL(base + path);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  /** Server-Sent Events parser for a fetch body: feed text chunks, get (event, data) calls. */
  function sseParser(onEvent) {
    var buffer = "";
    var eventName = "";
    var data = [];

    function line(text) {
      if (text === "") {
        if (data.length) onEvent(eventName || "message", data.join("\n"));
        eventName = "";
        data = [];
        return;
      }
      if (text.charAt(0) === ":") return;
      var colon = text.indexOf(":");
      var field = colon < 0 ? text : text.slice(0, colon);
      var value = colon < 0 ? "" : text.slice(colon + 1);
      if (value.charAt(0) === " ") value = value.slice(1);
      if (field === "event") eventName = value;
      else if (field === "data") data.push(value);
    }

    return {
      push: function (chunk, final) {
        buffer += chunk;
        var re = /\r\n|\r|\n/g;
        var start = 0;
        var match;
        while ((match = re.exec(buffer))) {
          // A lone "\r" at the end may be the first half of "\r\n": wait for more.
          if (!final && match[0] === "\r" && match.index === buffer.length - 1) break;
          line(buffer.slice(start, match.index));
          start = re.lastIndex;
        }
        buffer = buffer.slice(start);
        if (final) {
          if (buffer) line(buffer);
          buffer = "";
          line("");
        }
      },
    };
  }

  /** An error worded when it is shown, in the widget's language: `error.render(t)`. */
  function ChatError(render, kind) {
    var error = new Error(render(english));
    error.kind = kind || "error";
    error.render = render;
    return error;
  }

  function httpError(response) {
    return response
      .json()
      .catch(function () {
        return {};
      })
      .then(function (body) {
        var detail = body && typeof body.detail === "string" ? body.detail : "";
        if (response.status === 429) {
          var wait = parseInt(response.headers.get("Retry-After") || "", 10);
          return ChatError(function (t) {
            return wait > 0 ? t("too_many_wait", { seconds: wait }) : t("too_many");
          }, "rate");
        }
        if (response.status === 422 || response.status === 413) {
          return ChatError(function (t) {
            return t("not_sent") + (detail ? " " + detail : "");
          });
        }
        return ChatError(function (t) {
          return detail
            ? t("could_not_answer", { detail: detail })
            : t("unavailable", { status: response.status });
        });
      });
  }

  /**
   * POST /v1/chat with stream: true and hand its events to `on` ({citations, delta, done}).
   * Resolves with the final answer (the `done` payload).
   */
  function streamChat(base, messages, signal, on) {
    return fetch(base + "/v1/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ messages: messages, stream: true }),
      credentials: "omit",
      signal: signal,
    }).then(function (response) {
      if (!response.ok) return httpError(response).then(Promise.reject.bind(Promise));
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("text/event-stream") < 0 || !response.body) {
        return response.json().then(function (done) {
          on.done(done);
          return done;
        });
      }
      var final = null;
      var failure = null;
      var parser = sseParser(function (name, raw) {
        var payload;
        try {
          payload = JSON.parse(raw);
        } catch (e) {
          return;
        }
        if (name === "citations") on.citations(payload.citations || []);
        else if (name === "delta") on.delta(String(payload.text || ""));
        else if (name === "done") final = payload;
        else if (name === "error") {
          var detail = String(payload.detail || "unknown error");
          failure = ChatError(function (t) {
            return t("could_not_answer", { detail: detail });
          });
        }
      });
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      function pump() {
        return reader.read().then(function (step) {
          if (step.done) {
            parser.push(decoder.decode(), true);
            if (failure) throw failure;
            if (!final) {
              throw ChatError(function (t) {
                return t("interrupted");
              });
            }
            on.done(final);
            return final;
          }
          parser.push(decoder.decode(step.value, { stream: true }), false);
          if (failure) {
            reader.cancel().catch(function () {});
            throw failure;
          }
          return pump();
        });
      }
      return pump();
    });
  }

  function readAttr(node, name, fallback) {
    var value = node.getAttribute(name);
    return value === null || value.trim() === "" ? fallback : value;
  }

  class ClusterAssistantWidget extends HTMLElement {
    constructor() {
      super();
      var root = this.attachShadow({ mode: "open" });
      root.innerHTML = TEMPLATE;
      var q = root.querySelector.bind(root);
      this.base = BASE;
      this.ui = {
        root: q(".root"),
        launcher: q(".launcher"),
        panel: q(".panel"),
        title: q(".title"),
        close: q(".close"),
        reset: q(".new"),
        log: q(".log"),
        list: q(".messages"),
        form: q(".composer"),
        input: q("textarea"),
        send: q(".send"),
        card: q(".card"),
        scrim: q(".scrim"),
        cardN: q(".card-n"),
        cardTitle: q(".card-title"),
        cardMeta: q(".card-meta"),
        cardBadge: q(".badge"),
        cardBadgeText: q(".badge-text"),
        cardSnippet: q(".card-snippet"),
        cardLink: q(".card-link"),
        cardClose: q(".card-close"),
        tplRefusal: q("#tpl-refusal"),
        tplActions: q("#tpl-actions"),
      };
      this.messages = [];
      this.busy = false;
      this.controller = null;
      this.cardTrigger = null;
      this.started = false;
      this.stick = true;
      this.language = "en";
      this.t = english;
    }

    connectedCallback() {
      if (this.started) return;
      this.started = true;
      if (this.hasAttribute("data-api-base")) this.base = apiBase(this);
      this.storageKey = "cluster-assistant:v1:" + this.base;
      this.chooseLanguage();
      this.applyLabels();
      this.bind();
      var saved = this.load();
      this.messages = saved.messages;
      this.renderAll();
      var startOpen = this.hasAttribute("data-open") && this.getAttribute("data-open") !== "false";
      if (saved.open || (startOpen && saved.open !== false)) this.open(false);
    }

    bind() {
      var self = this;
      var ui = this.ui;
      ui.launcher.addEventListener("click", function () {
        if (self.isOpen()) self.close();
        else self.open(true);
      });
      ui.close.addEventListener("click", function () {
        self.close();
      });
      ui.reset.addEventListener("click", function () {
        self.reset();
      });
      ui.cardClose.addEventListener("click", function () {
        self.hideCard(true);
      });
      ui.scrim.addEventListener("click", function () {
        self.hideCard(true);
      });
      ui.form.addEventListener("submit", function (event) {
        event.preventDefault();
        self.submit();
      });
      ui.input.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          self.submit();
        }
      });
      ui.input.addEventListener("input", function () {
        self.autosize();
      });
      ui.log.addEventListener("scroll", function () {
        self.trackScroll();
      });
      this.shadowRoot.querySelectorAll(".suggestion").forEach(function (button) {
        button.addEventListener("click", function () {
          self.ask(button.textContent.trim());
        });
      });
      this.shadowRoot.addEventListener("keydown", function (event) {
        if (event.key === "Escape") {
          if (!ui.card.hidden) {
            event.stopPropagation();
            self.hideCard(true);
          } else if (self.isOpen()) {
            event.stopPropagation();
            self.close();
          }
        } else if (event.key === "Tab" && self.isOpen() && window.matchMedia(NARROW).matches) {
          self.trapFocus(event);
        }
      });
    }

    // ---- language -------------------------------------------------------------------------

    /**
     * Use the language asked for (see wantedLanguage) when it is an EU one: its texts from this
     * session's copy at once, else fetched once from /v1/locales and applied when they arrive
     * (the widget is in English meanwhile). Any failure keeps English, silently.
     */
    chooseLanguage() {
      var self = this;
      var code = euLanguage(wantedLanguage(this));
      if (!code || code === "en") return;
      // v2: the catalogues now hold every text; a v1 copy lacks the welcome texts and others.
      var key = "cluster-assistant:locale:v2:" + this.base + ":" + code;
      var kept = null;
      try {
        kept = JSON.parse(window.sessionStorage.getItem(key) || "null");
      } catch (e) {
        kept = null;
      }
      if (kept && localeMessages(kept.messages)) {
        this.useLanguage(euLanguage(kept.language) || code, localeMessages(kept.messages));
        return;
      }
      if (typeof fetch !== "function") return;
      fetch(this.base + "/v1/locales/" + encodeURIComponent(code), {
        headers: { Accept: "application/json" },
        credentials: "omit",
      })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (body) {
          var messages = localeMessages(body && body.messages);
          if (!messages) return;
          var language = euLanguage(body.language) || code;
          try {
            window.sessionStorage.setItem(
              key,
              JSON.stringify({ language: language, messages: messages })
            );
          } catch (e) {
            /* storage full or blocked: fetched again on the next page */
          }
          self.useLanguage(language, messages);
          self.relabel();
        })
        .catch(function () {
          /* offline, blocked or an older server: the widget stays in English */
        });
    }

    useLanguage(code, messages) {
      this.language = code;
      this.t = translator(messages);
    }

    /** Show the text of `key` in `node`, marked so that a change of language updates it. */
    setText(node, key) {
      node.setAttribute("data-t", key);
      node.textContent = this.t(key);
      // A text the catalogue lacks is English: say so, for screen readers' pronunciation.
      if (this.language !== "en" && !this.t.has(key)) node.setAttribute("lang", "en");
      else node.removeAttribute("lang");
      return node;
    }

    /** Word the interface in the current language: data-t, data-t-label, data-t-title. */
    applyLabels() {
      var self = this;
      var ui = this.ui;
      ui.root.setAttribute("lang", this.language);
      [this.shadowRoot, ui.tplRefusal.content, ui.tplActions.content].forEach(function (scope) {
        Array.prototype.forEach.call(scope.querySelectorAll("[data-t]"), function (node) {
          self.setText(node, node.getAttribute("data-t"));
        });
        Array.prototype.forEach.call(scope.querySelectorAll("[data-t-label]"), function (node) {
          node.setAttribute("aria-label", self.t(node.getAttribute("data-t-label")));
        });
        Array.prototype.forEach.call(scope.querySelectorAll("[data-t-title]"), function (node) {
          node.setAttribute("title", self.t(node.getAttribute("data-t-title")));
        });
      });
      var title = readAttr(this, "data-title", this.t("title"));
      ui.title.textContent = title;
      ui.launcher.title = title;
      ui.input.placeholder = readAttr(this, "data-placeholder", this.t("placeholder"));
      this.labelLauncher();
    }

    /** After a change of language: the labels, and the conversation unless an answer streams. */
    relabel() {
      this.applyLabels();
      if (!this.busy && this.messages.length) {
        var focused = this.shadowRoot.activeElement;
        var inList = focused && this.ui.list.contains(focused);
        this.hideCard(false);
        this.renderAll();
        if (inList) this.ui.input.focus();
      }
    }

    labelLauncher() {
      var t = this.t;
      var title = this.ui.title.textContent;
      var label;
      // Without "Open chat: …" or "Hide chat" in the language, the title names it (aria-expanded
      // says whether the chat is open).
      if (this.isOpen()) label = t.has("hide_chat") ? t("hide_chat") : title;
      else label = t.has("open_chat") ? t("open_chat", { title: title }) : title;
      this.ui.launcher.setAttribute("aria-label", label);
    }

    // ---- open / close ---------------------------------------------------------------------

    isOpen() {
      return !this.ui.panel.hidden;
    }

    open(focus) {
      this.ui.panel.hidden = false;
      this.ui.root.classList.add("is-open");
      this.ui.launcher.setAttribute("aria-expanded", "true");
      this.labelLauncher();
      this.save();
      this.scrollToEnd(true);
      if (focus !== false) this.ui.input.focus();
    }

    close() {
      this.hideCard(false);
      this.ui.panel.hidden = true;
      this.ui.root.classList.remove("is-open");
      this.ui.launcher.setAttribute("aria-expanded", "false");
      this.labelLauncher();
      this.save();
      this.ui.launcher.focus();
    }

    trapFocus(event) {
      var items = Array.prototype.filter.call(
        this.ui.panel.querySelectorAll("button, textarea, a[href], [tabindex='0']"),
        function (node) {
          return !node.disabled && node.getClientRects().length > 0;
        }
      );
      if (!items.length) return;
      var first = items[0];
      var last = items[items.length - 1];
      var active = this.shadowRoot.activeElement;
      if (event.shiftKey && (active === first || !this.ui.panel.contains(active))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (active === last || !this.ui.panel.contains(active))) {
        event.preventDefault();
        first.focus();
      }
    }

    autosize() {
      var input = this.ui.input;
      input.style.height = "auto";
      input.style.height = Math.min(input.scrollHeight + 2, 140) + "px";
    }

    /**
     * Follow the conversation: scroll to the end, but never past the latest question, so a long
     * answer is read from its start with its question above it.
     */
    scrollToEnd(force) {
      var log = this.ui.log;
      if (force) this.stick = true;
      if (!this.stick) return;
      var target = log.scrollHeight - log.clientHeight;
      if (this.anchor && this.anchor.isConnected) {
        target = Math.min(target, this.anchor.offsetTop - 12);
      }
      if (!force && target < log.scrollTop) return; // following never scrolls back up
      log.scrollTop = Math.max(target, 0);
    }

    /** Follow new content only while the reader is at the end of the conversation. */
    trackScroll() {
      var log = this.ui.log;
      this.stick = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
    }

    // ---- storage --------------------------------------------------------------------------

    load() {
      try {
        var raw = window.sessionStorage.getItem(this.storageKey);
        var saved = raw ? JSON.parse(raw) : null;
        if (saved && Array.isArray(saved.messages)) {
          return {
            open: typeof saved.open === "boolean" ? saved.open : null,
            messages: saved.messages.filter(function (m) {
              return m && (m.role === "user" || m.role === "assistant") &&
                typeof m.content === "string";
            }),
          };
        }
      } catch (e) {
        /* storage blocked or corrupt: start afresh */
      }
      return { open: null, messages: [] };
    }

    save() {
      try {
        window.sessionStorage.setItem(
          this.storageKey,
          JSON.stringify({ open: this.isOpen(), messages: this.messages.slice(-STORED_LIMIT) })
        );
      } catch (e) {
        /* storage full or blocked: the conversation lives only in this page */
      }
    }

    /** The last turns as the API's `messages` (role and content only). */
    history(upto) {
      var list = upto === undefined ? this.messages : this.messages.slice(0, upto);
      return list.slice(-HISTORY_LIMIT).map(function (m) {
        return { role: m.role, content: m.content.slice(0, MAX_CONTENT) };
      });
    }

    reset() {
      if (this.controller) this.controller.abort();
      this.controller = null;
      this.setBusy(false);
      this.hideCard(false);
      this.messages = [];
      this.save();
      this.renderAll();
      this.ui.input.value = "";
      this.autosize();
      this.ui.input.focus();
    }

    // ---- rendering ------------------------------------------------------------------------

    renderAll() {
      var self = this;
      this.ui.list.textContent = "";
      this.messages.forEach(function (m) {
        if (m.role === "user") self.addUser(m.content);
        else self.fillBot(self.addBot(), m);
      });
      this.ui.root.classList.toggle("has-messages", this.messages.length > 0);
      this.scrollToEnd(true);
    }

    addUser(text) {
      var node = el("div", "msg user");
      node.appendChild(this.setText(el("span", "sr-only"), "you_said"));
      node.appendChild(el("div", "bubble", text));
      this.ui.list.appendChild(node);
      this.anchor = node;
      this.ui.root.classList.add("has-messages");
      return node;
    }

    addBot() {
      var node = el("div", "msg bot");
      node.appendChild(this.setText(el("span", "sr-only"), "assistant_said"));
      var bubble = el("div", "bubble");
      var text = el("div", "text");
      bubble.appendChild(text);
      node.appendChild(bubble);
      var sources = el("div", "sources");
      sources.hidden = true;
      node.appendChild(sources);
      this.ui.list.appendChild(node);
      return { node: node, bubble: bubble, text: text, sources: sources, deltas: 0 };
    }

    addError(message) {
      var node = el("div", "msg error");
      var bubble = el("div", "bubble", message);
      bubble.setAttribute("role", "alert");
      node.appendChild(bubble);
      this.ui.list.appendChild(node);
      this.scrollToEnd(true);
      return node;
    }

    showTyping(view) {
      var dots = el("span", "typing");
      dots.setAttribute("role", "status");
      dots.setAttribute("data-t-label", "writing");
      dots.setAttribute("aria-label", this.t("writing"));
      dots.appendChild(el("i"));
      dots.appendChild(el("i"));
      dots.appendChild(el("i"));
      view.text.textContent = "";
      view.text.appendChild(dots);
    }

    /** Answer text as paragraphs and "- " lists, with `[n]` markers as citation buttons. */
    renderText(target, text, citations) {
      var self = this;
      var byN = {};
      (citations || []).forEach(function (c) {
        byN[String(c.n)] = c;
      });
      target.textContent = "";
      var list = null;
      String(text).split(/\r?\n/).forEach(function (line) {
        var item = /^\s*[-*•]\s+(.*)$/.exec(line);
        if (item) {
          if (!list) {
            list = el("ul");
            target.appendChild(list);
          }
          var li = el("li");
          self.renderInline(li, item[1], byN);
          list.appendChild(li);
          return;
        }
        list = null;
        if (!line.trim()) return;
        var p = el("p");
        self.renderInline(p, line, byN);
        target.appendChild(p);
      });
    }

    /**
     * A line's text with its `[n]` markers as citation buttons. Adjacent buttons and the
     * punctuation right after them are kept on one line ("businesses [1]." never wraps
     * before the full stop).
     */
    renderInline(parent, text, byN) {
      var re = /\[(\d{1,3})\]/g;
      var last = 0;
      var group = null;
      var match;
      while ((match = re.exec(text))) {
        group = this.appendText(parent, group, text.slice(last, match.index));
        var citation = byN[match[1]];
        if (citation) {
          if (!group) group = parent.appendChild(el("span", "cites"));
          group.appendChild(this.citeButton(citation));
        } else {
          group = this.appendText(parent, null, match[0]);
        }
        last = re.lastIndex;
      }
      this.appendText(parent, group, text.slice(last));
    }

    /** Append `text`, its leading punctuation to the open `group`; the group still open. */
    appendText(parent, group, text) {
      if (group) {
        var stop = /^[.,;:!?)\]}»”’…]*/.exec(text)[0];
        if (stop) group.appendChild(document.createTextNode(stop));
        text = text.slice(stop.length);
      }
      if (!text) return group;
      parent.appendChild(document.createTextNode(text));
      return null;
    }

    citeButton(c) {
      var self = this;
      var button = el("button", "cite", String(c.n));
      button.type = "button";
      button.setAttribute("aria-label", this.t("source") + " " + c.n + ": " +
        (c.title || this.t("document")));
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("data-n", String(c.n));
      button.addEventListener("click", function () {
        self.showCard(c, button);
      });
      return button;
    }

    renderSources(view, citations) {
      var self = this;
      view.sources.textContent = "";
      view.sources.hidden = !citations || citations.length === 0;
      if (view.sources.hidden) return;
      view.sources.appendChild(this.setText(el("h3"), "sources"));
      var ol = el("ol");
      citations.forEach(function (c) {
        var li = el("li");
        var button = el("button", "source");
        button.type = "button";
        button.setAttribute("data-n", String(c.n));
        var place = where(c, self.t);
        // Named by what it shows (WCAG 2.5.3, label in name), after a hidden "Source".
        button.appendChild(el("span", "sr-only", self.t("source") + " "));
        button.appendChild(el("span", "n", String(c.n)));
        button.appendChild(el("span", "sr-only", ": "));
        var label = el("span");
        label.appendChild(el("span", "t", c.title || c.doc_id));
        var at = [c.source, place].filter(Boolean).join(" · ");
        if (at) label.appendChild(el("span", "w", at));
        button.appendChild(label);
        button.addEventListener("click", function () {
          self.showCard(c, button);
        });
        li.appendChild(button);
        ol.appendChild(li);
      });
      view.sources.appendChild(ol);
    }

    /** A finished answer (from `done` or from storage). */
    fillBot(view, item) {
      view.bubble.classList.remove("streaming");
      view.bubble.removeAttribute("aria-busy");
      view.node.classList.toggle("refused", !!item.refused);
      var label = view.bubble.querySelector(".refusal-label");
      if (label) label.remove();
      if (item.refused) {
        view.bubble.insertBefore(
          this.ui.tplRefusal.content.firstElementChild.cloneNode(true),
          view.text
        );
      }
      this.renderText(view.text, item.content, item.citations);
      var partial = view.bubble.querySelector(".partial-label");
      if (partial) partial.remove();
      if (item.coverage === "partial") {
        view.bubble.insertBefore(
          this.setText(el("p", "partial-label"), "partial"),
          view.text
        );
      }
      var note = view.bubble.querySelector(".note");
      if (note) note.remove();
      if (item.flagged && item.flagged.length) {
        view.bubble.appendChild(this.setText(el("p", "note"), "unchecked"));
      }
      this.renderSources(view, item.refused ? [] : item.citations || []);
      this.addActions(view, item);
    }

    addActions(view, item) {
      var self = this;
      var old = view.node.querySelector(".actions");
      if (old) old.remove();
      var actions = this.ui.tplActions.content.firstElementChild.cloneNode(true);
      var up = actions.querySelector(".up");
      var down = actions.querySelector(".down");
      var thanks = actions.querySelector(".thanks");
      function settle(rating) {
        up.disabled = true;
        down.disabled = true;
        (rating === "up" ? up : down).setAttribute("aria-pressed", "true");
        self.setText(thanks, "thanks");
      }
      if (item.feedback) settle(item.feedback);
      [up, down].forEach(function (button) {
        button.addEventListener("click", function () {
          var rating = button === up ? "up" : "down";
          up.disabled = true;
          down.disabled = true;
          self.setText(thanks, "sending");
          self.sendFeedback(item, rating).then(
            function () {
              item.feedback = rating;
              self.save();
              settle(rating);
            },
            function () {
              up.disabled = false;
              down.disabled = false;
              self.setText(thanks, "feedback_failed");
            }
          );
        });
      });
      view.node.appendChild(actions);
    }

    sendFeedback(item, rating) {
      var index = this.messages.indexOf(item);
      var body = {
        rating: rating,
        question: (item.question || "").slice(0, MAX_QUESTION),
        answer: item.content.slice(0, MAX_CONTENT),
        citations: (item.citations || []).map(function (c) {
          return { n: c.n, chunk_id: c.chunk_id, doc_id: c.doc_id };
        }),
        // The conversation before the rated question (the question and answer are sent above).
        messages: this.history(index < 1 ? 0 : index - 1),
      };
      if (item.request_id) body.request_id = String(item.request_id);
      return fetch(this.base + "/v1/feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "omit",
      }).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response;
      });
    }

    // ---- source card ----------------------------------------------------------------------

    showCard(c, trigger) {
      var ui = this.ui;
      if (this.cardTrigger) this.cardTrigger.setAttribute("aria-expanded", "false");
      ui.cardN.textContent = String(c.n);
      ui.cardTitle.textContent = c.title || c.doc_id || this.t("source");
      var meta = [c.source, where(c, this.t)].filter(Boolean).join(" · ");
      ui.cardMeta.textContent = meta;
      ui.cardMeta.hidden = !meta;
      var verified = c.verified !== false;
      ui.cardBadge.className = "badge " + (verified ? "ok" : "no");
      this.setText(ui.cardBadgeText, verified ? "verified" : "not_verified");
      ui.cardSnippet.textContent = c.snippet || "";
      ui.cardSnippet.hidden = !c.snippet;
      var href = documentUrl(this.base, c);
      if (href) {
        ui.cardLink.href = href;
        ui.cardLink.hidden = false;
      } else {
        ui.cardLink.removeAttribute("href");
        ui.cardLink.hidden = true;
      }
      ui.card.hidden = false;
      ui.scrim.hidden = false;
      ui.card.scrollTop = 0;
      this.cardTrigger = trigger || null;
      if (trigger && trigger.classList.contains("cite")) {
        trigger.setAttribute("aria-expanded", "true");
      }
      ui.cardTitle.focus();
    }

    hideCard(restoreFocus) {
      if (this.ui.card.hidden) return;
      this.ui.card.hidden = true;
      this.ui.scrim.hidden = true;
      var trigger = this.cardTrigger;
      this.cardTrigger = null;
      if (trigger) {
        if (trigger.classList.contains("cite")) trigger.setAttribute("aria-expanded", "false");
        if (restoreFocus && trigger.isConnected) trigger.focus();
      }
      if (restoreFocus && (!trigger || !trigger.isConnected)) this.ui.input.focus();
    }

    /** Tell the host page what happens: `cluster-assistant:delta`, `cluster-assistant:answer`. */
    emit(name, detail) {
      this.dispatchEvent(
        new CustomEvent("cluster-assistant:" + name, { bubbles: true, detail: detail })
      );
    }

    // ---- asking ---------------------------------------------------------------------------

    setBusy(busy) {
      this.busy = busy;
      this.ui.send.disabled = busy;
      this.ui.log.setAttribute("aria-busy", busy ? "true" : "false");
    }

    submit() {
      var text = this.ui.input.value.trim();
      if (!text || this.busy) return;
      this.ui.input.value = "";
      this.autosize();
      this.ask(text);
    }

    ask(question) {
      var self = this;
      if (this.busy || !question) return;
      this.hideCard(false);
      var errors = this.ui.list.querySelectorAll(".msg.error");
      Array.prototype.forEach.call(errors, function (node) {
        node.remove();
      });
      var userNode = this.addUser(question);
      var view = this.addBot();
      view.bubble.setAttribute("aria-busy", "true");
      this.showTyping(view);
      this.scrollToEnd(true);
      this.setBusy(true);

      var messages = this.history().concat([{ role: "user", content: question }]);
      messages = messages.slice(-HISTORY_LIMIT);
      var controller = typeof AbortController === "function" ? new AbortController() : null;
      this.controller = controller;
      var citations = [];
      var streamed = "";

      streamChat(this.base, messages, controller && controller.signal, {
        citations: function (list) {
          citations = list;
          self.renderSources(view, list);
          self.scrollToEnd(false);
        },
        delta: function (text) {
          streamed += text;
          view.deltas += 1;
          view.node.setAttribute("data-deltas", String(view.deltas));
          view.bubble.classList.add("streaming");
          self.renderText(view.text, streamed, citations);
          self.scrollToEnd(false);
          self.emit("delta", { text: streamed });
        },
        done: function (final) {
          if (controller && controller.signal.aborted) return;
          var item = {
            role: "assistant",
            content: String(final.answer || ""),
            citations: Array.isArray(final.citations) ? final.citations : [],
            refused: !!final.refused,
            flagged: Array.isArray(final.flagged) ? final.flagged : [],
            coverage: final.coverage || null,
            mode: final.mode || null,
            request_id: final.request_id || null,
            question: question,
          };
          self.messages.push({ role: "user", content: question });
          self.messages.push(item);
          self.save();
          self.fillBot(view, item);
          view.node.setAttribute("data-done", "true");
          self.scrollToEnd(false);
          self.emit("answer", {
            question: question,
            answer: item.content,
            refused: item.refused,
            citations: item.citations.length,
            request_id: item.request_id,
          });
        },
      })
        .catch(function (error) {
          if (error && error.name === "AbortError") return;
          view.node.remove();
          userNode.remove();
          self.ui.root.classList.toggle("has-messages", self.messages.length > 0);
          var message = error && error.kind && error.render
            ? error.render(self.t)
            : self.t("unreachable");
          self.addError(message);
          if (!self.ui.input.value) {
            self.ui.input.value = question;
            self.autosize();
          }
        })
        .then(function () {
          if (self.controller === controller) {
            self.controller = null;
            self.setBusy(false);
          }
        });
    }
  }

  window.customElements.define(TAG, ClusterAssistantWidget);

  // The script tag is the embedding: add one widget to the page, configured by its data-*.
  function mount() {
    if (document.querySelector(TAG)) return;
    var widget = document.createElement(TAG);
    if (SCRIPT) {
      var names = [
        "data-title", "data-placeholder", "data-lang", "data-open", "data-api-base", "data-theme",
      ];
      names.forEach(function (name) {
        if (SCRIPT.hasAttribute(name)) widget.setAttribute(name, SCRIPT.getAttribute(name));
      });
    }
    document.body.appendChild(widget);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
