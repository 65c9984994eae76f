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
    "*{box-sizing:border-box}" +
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
    ".n{display:inline-block;min-width:22px;font-weight:600;color:var(--accent-text)}" +
    ".cite{font-weight:600;color:var(--accent-text)}" +
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

  // Inline markdown the engine emits: **bold** and [n] citation markers, all as text nodes.
  function inline(parent, text) {
    String(text).split(/(\*\*[^*]+\*\*|\[\d+\])/).forEach(function (part) {
      if (!part) return;
      if (/^\*\*[^*]+\*\*$/.test(part)) parent.appendChild(el("strong", null, part.slice(2, -2)));
      else if (/^\[\d+\]$/.test(part)) parent.appendChild(el("span", "cite", part));
      else parent.appendChild(document.createTextNode(part));
    });
  }

  // Paragraphs and "- " bullet lists; nothing else of markdown is interpreted.
  function markdown(parent, text) {
    var list = null;
    String(text).split("\n").forEach(function (line) {
      if (/^\s*[-*] /.test(line)) {
        if (!list) list = parent.appendChild(el("ul"));
        inline(list.appendChild(el("li")), line.replace(/^\s*[-*] /, ""));
      } else {
        list = null;
        if (line.trim()) inline(parent.appendChild(el("p")), line);
      }
    });
  }

  function sources(parent, citations) {
    if (!citations || !citations.length) return;
    var box = parent.appendChild(el("div", "sources"));
    box.appendChild(el("h3", null, "Sources"));
    var list = box.appendChild(el("ol"));
    citations.forEach(function (c) {
      var item = list.appendChild(el("li"));
      item.appendChild(el("span", "n", "[" + c.n + "]"));
      item.appendChild(document.createTextNode("\u201c" + c.sentence + "\u201d "));
      var where = [c.title, c.section].filter(Boolean).join(" \u00b7 ");
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

  // The Sources list shows each cited sentence once, so drop the answer's evidence bullets
  // that only repeat one (- “sentence” — title [n]); other bullets (conflicts) stay.
  function withoutRepeats(text, citations) {
    return String(text).split("\n").filter(function (line) {
      return !(citations || []).some(function (c) {
        return line.replace(/^\s+/, "").indexOf("- \u201c" + c.sentence + "\u201d") === 0;
      });
    }).join("\n");
  }

  function showAnswer(answer) {
    var box = el("div", "msg bot" + (answer.abstained ? " abstained" : ""));
    markdown(box, withoutRepeats(answer.answer, answer.citations));
    sources(box, answer.citations);
    show(box);
  }

  function request(question) {
    var headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(apiBase + "/api/ask", {
      method: "POST", mode: "cors", credentials: "omit", headers: headers,
      body: JSON.stringify({ question: question, history: history.slice(-10) })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) throw new Error(body.error || ("Sitrep answered HTTP " + response.status));
        return body;
      });
    }, function () {
      throw new Error("Could not reach Sitrep: the server is down or this page is not " +
                      "allowed to use it.");
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
  form.addEventListener("submit", submit);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) submit(event);
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") setOpen(false);
  });
  launcher.setAttribute("aria-label", "Open " + title);
})();
