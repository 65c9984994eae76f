/* Sitrep chat widget: one <script> tag gives an intranet page a floating chat panel.
 *
 *   <script src="https://sitrep.example/widget.js" data-title="Ask Sitrep"
 *           data-accent="#1f6feb" data-position="bottom-right"
 *           data-api-base="https://sitrep.example" data-token="(optional bearer token)"></script>
 *
 * Self-contained: no framework, no fonts, no images, no request anywhere but the API base.
 * Shadow DOM keeps host CSS out and ours in. Every text from documents, answers and users goes
 * in through textContent, never as HTML. Keyboard: Enter asks, Shift+Enter adds a line,
 * Escape closes and returns focus to the launcher; answers are announced through aria-live.
 * A citation marker ([n], in the answer or its Sources list) opens the cited sentence in its
 * document: the text GET /api/documents/{id}/text serves (same credentials and access rules as
 * the question), the sentence marked by its offsets; Escape or "Back" returns to the answers.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__sitrepWidget) return;
  window.__sitrepWidget = true;

  var data = script.dataset;
  var POSITIONS = ["bottom-right", "bottom-left", "top-right", "top-left"];
  var position = POSITIONS.indexOf(data.position) >= 0 ? data.position : "bottom-right";
  var accent = data.accent && window.CSS && CSS.supports("color", data.accent)
    ? data.accent : "#1f6feb";
  var title = (data.title || "Sitrep").slice(0, 80);
  var apiBase = (data.apiBase || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var token = data.token || "";
  var history = [];
  var vertical = position.split("-")[0];
  var side = position.split("-")[1];

  var CSS_TEXT =
    ":host{all:initial}" +
    "*{box-sizing:border-box}[hidden]{display:none!important}" +
    ".root{position:fixed;" + vertical + ":20px;" + side + ":20px;z-index:2147483000;" +
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1b1f24;" +
    // Inherited properties the host page may set on our host element: reset them all.
    "letter-spacing:normal;word-spacing:normal;text-transform:none;text-align:left;" +
    "text-indent:0;white-space:normal;direction:ltr;visibility:visible;cursor:auto;" +
    "display:flex;flex-direction:column;align-items:flex-" + (side === "right" ? "end" : "start") + ";gap:10px}" +
    (vertical === "top" ? ".root{flex-direction:column-reverse}" : "") +
    ".launcher{border:0;border-radius:999px;background:var(--accent);color:var(--on-accent);cursor:pointer;" +
    "font:600 15px/1 inherit;font-family:inherit;padding:12px 18px 12px 14px;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25);display:inline-flex;align-items:center;gap:8px}" +
    ".launcher svg{width:20px;height:20px;fill:currentColor}" +
    ".launcher:focus-visible,button:focus-visible,textarea:focus-visible,.log:focus-visible{" +
    "outline:3px solid #0a3069;outline-offset:2px}" +
    ".panel{width:min(400px,calc(100vw - 40px));height:min(560px,calc(100vh - 100px));background:#fff;" +
    "border:1px solid #d0d7de;border-radius:12px;box-shadow:0 10px 30px rgba(0,0,0,.25);" +
    "display:flex;flex-direction:column;overflow:hidden}" +
    ".panel[hidden]{display:none}" +
    ".head{display:flex;align-items:center;justify-content:space-between;padding:10px 12px;" +
    "background:var(--accent);color:var(--on-accent)}" +
    ".head h2{margin:0;font:600 16px/1.2 inherit;font-family:inherit}" +
    ".close{border:0;background:transparent;color:var(--on-accent);font:22px/1 inherit;font-family:inherit;" +
    "cursor:pointer;padding:2px 8px;border-radius:6px}" +
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px;background:#f6f8fa}" +
    ".msg{max-width:92%;padding:8px 11px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}" +
    ".user{align-self:flex-end;background:var(--accent);color:var(--on-accent)}" +
    ".bot{align-self:stretch;max-width:100%;background:#fff;border:1px solid #d0d7de;white-space:normal}" +
    ".bot p{margin:0 0 6px}.bot ul{margin:0 0 6px;padding-left:18px}.bot li{margin:0 0 4px}" +
    ".abstained{border-left:4px solid #9a6700}" +
    ".error{align-self:stretch;background:#fff1f0;border:1px solid #cf222e;color:#82071e}" +
    ".sources{margin:8px 0 0;padding:8px 0 0;border-top:1px solid #d0d7de;font-size:12.5px;color:#424a53}" +
    ".sources h3{margin:0 0 4px;font:600 12.5px/1.3 inherit;font-family:inherit;color:#1b1f24}" +
    ".sources ol{margin:0;padding:0;list-style:none}.sources li{margin:0 0 6px}" +
    ".n{display:inline-block;min-width:22px;margin-right:4px;font-weight:600;color:var(--accent-text)}" +
    ".cite{font:inherit;font-weight:600;color:var(--accent-text);background:none;border:0;" +
    "padding:0 1px;cursor:pointer;text-decoration:underline dotted}" +
    ".cite:hover{text-decoration:underline}" +
    ".viewer{flex:1;display:flex;flex-direction:column;min-height:0;background:#fff}" +
    ".viewer[hidden]{display:none}" +
    ".vhead{display:flex;align-items:baseline;gap:8px;padding:8px 12px;border-bottom:1px solid #d0d7de}" +
    ".back{border:1px solid #8c959f;border-radius:6px;background:#fff;color:#1b1f24;" +
    "font:600 12.5px/1.2 inherit;font-family:inherit;padding:4px 8px;cursor:pointer;flex:none}" +
    ".vtitle{font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
    ".vbody{flex:1;overflow-y:auto;padding:10px 12px;white-space:pre-wrap;word-wrap:break-word;" +
    "font-size:13.5px;line-height:1.55}" +
    ".vnote{padding:6px 12px;font-size:12px;color:#9a6700;background:#fff8c5}" +
    ".vnote:empty{display:none}" +
    "mark{background:#ffd43b;color:#111;outline:2px solid #b08800;border-radius:2px}" +
    ".where{color:#57606a}" +
    ".status{min-height:18px;padding:0 12px;font-size:12px;color:#57606a;background:#f6f8fa}" +
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #d0d7de;background:#fff}" +
    "textarea{flex:1;resize:none;height:42px;padding:9px;border:1px solid #8c959f;border-radius:8px;" +
    "font:14px/1.4 inherit;font-family:inherit;color:#1b1f24;background:#fff}" +
    ".ask{border:0;border-radius:8px;background:var(--accent);color:var(--on-accent);font:600 14px/1 inherit;" +
    "font-family:inherit;padding:0 16px;cursor:pointer}" +
    ".ask:disabled{opacity:.55;cursor:progress}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  // A [n] marker as a button that opens citation n in its document (plain text without one).
  function marker(n, citations) {
    var citation = (citations || []).filter(function (c) { return c.n === n; })[0];
    if (!citation) return el("span", "cite", "[" + n + "]");
    var button = el("button", "cite", "[" + n + "]");
    button.type = "button";
    button.setAttribute("aria-label", "Source " + n + ": open it in " +
                        (citation.title || "its document"));
    button.addEventListener("click", function () { openSource(citation, button); });
    return button;
  }

  // A paragraph of text, then citation markers: "Also from the sources: [2] [3]".
  function para(parent, text, numbers, citations) {
    var p = parent.appendChild(el("p", null, text));
    numbers.forEach(function (n, i) {
      if (i) p.append(" ");
      p.appendChild(marker(n, citations));
    });
    return p;
  }

  // The answer from its fields, as rag/answer/render.py's display writes it (no Markdown is parsed):
  // the bottom line, its value in bold and the quote after a value left to the Sources list
  // (each sentence shown once); an abstention's closest evidence, or the sources the bottom
  // line does not cite, as markers; the confidence line.
  function answerText(parent, answer) {
    var cited = answer.citations || [];
    var p = para(parent, "", [], cited);
    var shown = {};
    (answer.bottom_line || []).forEach(function (s) {
      var bare = s.quotes && !(s.lead || s.value || s.tail) &&
        cited.filter(function (c) { return c.n === s.cites[0]; })[0];
      p.append(s.lead);
      if (s.value) p.appendChild(el("strong", null, s.value));
      p.append(s.tail + (bare ? bare.sentence.trim().split(/\s+/).join(" ") : ""));
      s.cites.forEach(function (n, i) {
        shown[n] = true;
        if (!i) p.append(" ");
        p.appendChild(marker(n, cited));
      });
    });
    if (answer.abstained && cited.length) {
      para(parent, "Closest related evidence (it does not answer the question): ", [cited[0].n],
           cited);
    }
    var rest = cited.filter(function (c) { return !shown[c.n]; })
      .map(function (c) { return c.n; });
    if (!answer.abstained && rest.length) para(parent, "Also from the sources: ", rest, cited);
    if (answer.confidence) para(parent, answer.confidence, [], cited);
  }

  function words(text) {
    return String(text || "").toLowerCase().split(/[^\p{L}\p{N}]+/u).join(" ").trim();
  }

  function sources(parent, citations) {
    if (!citations || !citations.length) return;
    var box = parent.appendChild(el("div", "sources"));
    box.appendChild(el("h3", null, "Sources"));
    var list = box.appendChild(el("ol"));
    citations.forEach(function (c) {
      var item = list.appendChild(el("li"));
      item.appendChild(marker(c.n, citations)).classList.add("n");
      // A sentence that opens with a quote mark of its own is not quoted again.
      var own = /^\s*["'\u201c\u2018\u00ab\u201e\u201a\u2039]/.test(c.sentence);
      item.appendChild(document.createTextNode(own ? c.sentence + " "
                                                   : "\u201c" + c.sentence + "\u201d "));
      var section = words(c.section) === words(c.title) ? "" : c.section;  // no title twice
      var where = [c.title, section].filter(Boolean).join(" \u00b7 ");
      item.appendChild(el("span", "where", "\u2014 " + where));
    });
  }

  // A speech-bubble icon drawn inline (no image request, no icon font).
  function icon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = svg.appendChild(document.createElementNS(ns, "path"));
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6" +
                      "a2 2 0 0 1 2-2z");
    return svg;
  }

  var host = document.createElement("div");
  host.setAttribute("data-sitrep-widget", "");
  // Inline !important beats any host rule that would hide or move our host element.
  host.setAttribute("style", "all:initial !important;display:block !important");
  var shadow = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent = CSS_TEXT;
  shadow.appendChild(style);

  var root = el("div", "root");
  root.style.setProperty("--accent", accent);
  var launcher = el("button", "launcher");
  launcher.appendChild(icon());
  launcher.appendChild(document.createTextNode(title));
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "sitrep-panel");

  var panel = el("section", "panel");
  panel.id = "sitrep-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  var head = panel.appendChild(el("div", "head"));
  head.appendChild(el("h2", null, title));
  var close = head.appendChild(el("button", "close", "\u00d7"));
  close.type = "button";
  close.setAttribute("aria-label", "Close " + title);
  var logBox = panel.appendChild(el("div", "log"));
  logBox.setAttribute("role", "log");
  logBox.setAttribute("aria-live", "polite");
  logBox.setAttribute("aria-label", "Conversation");
  logBox.tabIndex = 0;
  // The document view a citation opens, in place of the conversation.
  var viewer = panel.appendChild(el("div", "viewer"));
  viewer.hidden = true;
  viewer.setAttribute("role", "region");
  var viewerHead = viewer.appendChild(el("div", "vhead"));
  var back = viewerHead.appendChild(el("button", "back", "\u2190 Back"));
  back.type = "button";
  back.setAttribute("aria-label", "Back to the answers");
  var viewerTitle = viewerHead.appendChild(el("span", "vtitle"));
  var viewerNote = viewer.appendChild(el("div", "vnote"));
  viewerNote.setAttribute("role", "status");
  var viewerBody = viewer.appendChild(el("div", "vbody"));
  viewerBody.tabIndex = 0;
  var opener = null;
  var status = panel.appendChild(el("div", "status"));
  status.setAttribute("role", "status");
  var form = panel.appendChild(el("form"));
  var label = form.appendChild(el("label", "sr", "Your question"));
  label.htmlFor = "sitrep-question";
  var input = form.appendChild(el("textarea"));
  input.id = "sitrep-question";
  input.placeholder = "Ask about the documents\u2026";
  input.maxLength = 2000;
  var ask = form.appendChild(el("button", "ask", "Ask"));
  ask.type = "submit";

  root.appendChild(panel);
  root.appendChild(launcher);
  shadow.appendChild(root);
  document.body.appendChild(host);

  // Text on the accent: white on dark accents, near-black on light ones (WCAG luminance).
  (function contrast() {
    var rgb = (getComputedStyle(launcher).backgroundColor.match(/[\d.]+/g) || [0, 0, 0])
      .slice(0, 3).map(function (v) {
        v = v / 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
      });
    var light = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] > 0.179;
    root.style.setProperty("--on-accent", light ? "#111" : "#fff");
    root.style.setProperty("--accent-text", light ? "#1b1f24" : accent);
  })();

  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.setAttribute("aria-label", (open ? "Close " : "Open ") + title);
    (open ? input : launcher).focus();
  }

  // Bring the start of the new message into view: an answer is read from its bottom line.
  function show(node) {
    logBox.appendChild(node);
    logBox.scrollTop = Math.max(0, node.offsetTop - logBox.offsetTop - 8);
  }

  function showAnswer(answer) {
    var box = el("div", "msg bot" + (answer.abstained ? " abstained" : ""));
    answerText(box, answer);
    sources(box, answer.citations);
    show(box);
  }

  function call(path, init) {
    var headers = init.body ? { "Content-Type": "application/json" } : {};
    if (token) headers.Authorization = "Bearer " + token;
    init.mode = "cors";
    init.credentials = "omit";
    init.headers = headers;
    return fetch(apiBase + path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) throw new Error(body.error || ("Sitrep answered HTTP " + response.status));
        return body;
      });
    }, function () {
      throw new Error("Could not reach Sitrep: the server is down or this page is not " +
                      "allowed to use it.");
    });
  }

  function request(question) {
    return call("/api/ask", { method: "POST",
      body: JSON.stringify({ question: question, history: history.slice(-10) }) });
  }

  // Show the conversation, or the document view in its place.
  function showViewer(open) {
    viewer.hidden = !open;
    logBox.hidden = status.hidden = form.hidden = open;
    if (!open && opener) opener.focus();
  }

  // The text before, in and after the cited sentence; the sentence marked and scrolled to.
  function renderDocument(citation, text) {
    viewerBody.textContent = "";
    var start = citation.start, end = citation.end;
    var exact = typeof text === "string" && text.slice(start, end) === citation.sentence;
    viewerNote.textContent = exact ? "" : "The document changed since this answer; the cited " +
      "sentence is no longer where it was.";
    if (!exact) { viewerBody.appendChild(document.createTextNode(text || "")); return null; }
    viewerBody.appendChild(document.createTextNode(text.slice(0, start)));
    var mark = viewerBody.appendChild(el("mark", null, citation.sentence));
    mark.tabIndex = -1;
    viewerBody.appendChild(document.createTextNode(text.slice(end)));
    return mark;
  }

  // Citation -> its document, fetched under the caller's credentials (404: hidden or gone).
  function openSource(citation, button) {
    opener = button;
    viewerTitle.textContent = "[" + citation.n + "] " + (citation.title || "Document");
    viewer.setAttribute("aria-label", "Source " + citation.n + ": " + (citation.title || ""));
    viewerNote.textContent = "Opening the document\u2026";
    viewerBody.textContent = "";
    showViewer(true);
    back.focus();
    call("/api/documents/" + encodeURIComponent(citation.doc_id) + "/text", { method: "GET" })
      .then(function (doc) {
        var mark = renderDocument(citation, doc.text);
        if (!mark) return;
        viewerBody.scrollTop = Math.max(0, mark.offsetTop - viewerBody.offsetTop -
                                        viewerBody.clientHeight / 3);
        mark.focus({ preventScroll: true });
      }, function (error) {
        viewerNote.textContent = "This document cannot be shown: " + error.message;
      });
  }

  function submit(event) {
    if (event) event.preventDefault();
    var question = input.value.trim();
    if (!question || ask.disabled) return;
    show(el("div", "msg user", question));
    input.value = "";
    ask.disabled = true;
    logBox.setAttribute("aria-busy", "true");
    status.textContent = "Searching the documents\u2026";
    request(question).then(function (answer) {
      history.push({ role: "user", content: question },
                   { role: "assistant", content: answer.answer });
      showAnswer(answer);
      status.textContent = "";
    }, function (error) {
      show(el("div", "msg error", error.message));
      status.textContent = "";
    }).then(function () {
      ask.disabled = false;
      logBox.removeAttribute("aria-busy");
      input.focus();
    });
  }

  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  close.addEventListener("click", function () { setOpen(false); });
  back.addEventListener("click", function () { showViewer(false); });
  form.addEventListener("submit", submit);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) submit(event);
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    if (!viewer.hidden) showViewer(false);
    else setOpen(false);
  });
  launcher.setAttribute("aria-label", "Open " + title);
})();
