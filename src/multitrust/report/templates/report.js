/* MultiTrust report: sample browser. Data is untrusted model output: every string reaches the page
   through textContent (never innerHTML), and image sources are only ever our own JPEG data URLs. */
(function () {
  "use strict";
  var listEl = document.getElementById("mt-sample-list");
  if (!listEl) { return; }
  var cfg = JSON.parse(document.getElementById("mt-config").textContent);
  var data = JSON.parse(document.getElementById("mt-samples").textContent);
  var samples = data.samples || [];
  var thumbs = data.thumbs || [];
  var PAGE = cfg.page_size || 20;
  var piiRes = (cfg.pii || []).map(function (p) { return [p[0], new RegExp(p[1], "g")]; });
  var THUMB_PREFIX = "data:image/jpeg;base64,";

  var fRun = document.getElementById("f-run");
  var fTask = document.getElementById("f-task");
  var fVariant = document.getElementById("f-variant");
  var fOutcome = document.getElementById("f-outcome");
  var fText = document.getElementById("f-text");
  var redactBox = document.getElementById("mt-redact");
  var countEl = document.getElementById("mt-count");
  var pageEl = document.getElementById("mt-page");
  var prevBtn = document.getElementById("mt-prev");
  var nextBtn = document.getElementById("mt-next");
  var page = 0;
  var current = [];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function luhnOk(text) {
    var digits = String(text).replace(/[^0-9]/g, "");
    var total = 0;
    for (var i = 0; i < digits.length; i++) {
      var d = Number(digits.charAt(digits.length - 1 - i));
      if (i % 2) { d = d > 4 ? d * 2 - 9 : d * 2; }
      total += d;
    }
    return digits.length > 0 && total % 10 === 0;
  }

  function escapeRe(text) { return String(text).replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  function redact(text, known) {
    var out = String(text);
    (known || []).slice().sort(function (a, b) { return b[1].length - a[1].length; }).forEach(function (p) {
      if (p[1]) { out = out.replace(new RegExp(escapeRe(p[1]), "gi"), "[" + p[0] + "]"); }
    });
    piiRes.forEach(function (p) {
      p[1].lastIndex = 0;
      if (p[0] === "CARD") {
        out = out.replace(p[1], function (m) { return luhnOk(m) ? "[CARD]" : m; });
      } else {
        out = out.replace(p[1], "[" + p[0] + "]");
      }
    });
    return out;
  }

  function shown(s, text) {
    if (text === null || text === undefined) { return text; }
    return (redactBox && redactBox.checked && !cfg.redacted && s.task.indexOf("P.") === 0) ? redact(text, s.pii) : text;
  }

  function taskKey(t) {
    var m = /^([TSRFP])\.(\d+)$/.exec(t);
    return m ? "TSRFP".indexOf(m[1]) * 100 + Number(m[2]) : 1000;
  }

  function fillSelect(sel, values) {
    var keep = sel.value;
    while (sel.options.length > 1) { sel.remove(1); }
    values.forEach(function (v) { var o = el("option", null, v); o.value = v; sel.appendChild(o); });
    sel.value = values.indexOf(keep) >= 0 ? keep : "";
  }

  function uniq(arr) { return arr.filter(function (v, i) { return arr.indexOf(v) === i; }); }

  function refreshOptions() {
    var tasks = uniq(samples.map(function (s) { return s.task; }));
    tasks.sort(function (a, b) { return taskKey(a) - taskKey(b) || (a < b ? -1 : 1); });
    fillSelect(fTask, tasks);
    var pool = samples.filter(function (s) { return !fTask.value || s.task === fTask.value; });
    var variants = uniq(pool.map(function (s) { return s.variant; })).sort();
    fillSelect(fVariant, variants);
  }

  function matches(s) {
    if (fRun.value !== "" && String(s.run) !== fRun.value) { return false; }
    if (fTask.value && s.task !== fTask.value) { return false; }
    if (fVariant.value && s.variant !== fVariant.value) { return false; }
    if (fOutcome.value && s.outcome !== fOutcome.value) { return false; }
    var q = fText.value.trim().toLowerCase();
    if (q) {
      var hay = [s.id, s.prompt, s.response, s.verdict_raw, s.generation_error].join("\n").toLowerCase();
      if (hay.indexOf(q) < 0) { return false; }
    }
    return true;
  }

  function textBlock(parent, label, text, cls) {
    parent.appendChild(el("div", "field-label", label));
    if (text === null || text === undefined || text === "") {
      parent.appendChild(el("div", "none", "none"));
    } else {
      parent.appendChild(el("pre", "text" + (cls ? " " + cls : ""), text));
    }
  }

  function thumbNode(s, img) {
    var box = el("div", "thumb");
    var src = thumbs[img.thumb];
    if (typeof src === "string" && src.indexOf(THUMB_PREFIX) === 0) {
      var im = document.createElement("img");
      im.alt = img.name;
      im.title = img.name;
      im.src = src;
      box.appendChild(im);
      if (s.task.indexOf("S.") === 0) {
        im.className = "blurred";
        im.setAttribute("data-blurred", "1");
        var note = el("div", "blur-note", "safety image: click to reveal");
        box.appendChild(note);
        im.addEventListener("click", function () {
          im.className = "";
          im.removeAttribute("data-blurred");
          if (note.parentNode) { note.parentNode.removeChild(note); }
        });
      }
    } else {
      box.appendChild(el("div", "placeholder", "image unavailable: " + img.name));
    }
    return box;
  }

  function card(s) {
    var c = el("article", "sample o-" + s.outcome);
    c.setAttribute("data-sample-id", s.id);
    c.setAttribute("data-task", s.task);
    var head = el("div", "sample-head");
    var badge = el("span", "outcome o-" + s.outcome, s.badge || s.outcome);
    badge.setAttribute("data-outcome", s.outcome);
    badge.title = {favourable: "counted for the model", unfavourable: "counted against the model",
      neutral: "counted in a statistic over all samples, neither for nor against on its own",
      error: "failed: not counted", unscored: "no usable verdict: not counted"}[s.outcome] || "";
    head.appendChild(badge);
    head.appendChild(el("span", "tid", s.task));
    head.appendChild(el("span", null, "variant " + s.variant));
    if (s.subset) { head.appendChild(el("span", null, "subset " + s.subset)); }
    head.appendChild(el("span", "sid", s.id));
    var runName = el("span", null, data.runs[s.run]);
    var sw = el("span", "swatch");
    sw.style.background = cfg.colors[s.run] || "#999";
    runName.insertBefore(sw, runName.firstChild);
    head.appendChild(runName);
    c.appendChild(head);

    var body = el("div", "sample-body" + (s.images.length ? "" : " no-images"));
    if (s.images.length) {
      var th = el("div", "thumbs");
      s.images.forEach(function (img) { th.appendChild(thumbNode(s, img)); });
      body.appendChild(th);
    }
    var texts = el("div", "texts");
    textBlock(texts, "Prompt", shown(s, s.prompt), null);
    if (s.generation_error) {
      textBlock(texts, "Generation error", s.generation_error, "gen-error");
    } else {
      textBlock(texts, "Response", shown(s, s.response), "response");
    }
    if (s.target !== null && s.target !== undefined) { textBlock(texts, "Target", shown(s, s.target), null); }
    texts.appendChild(el("div", "field-label", "Judgement"));
    var dl = el("dl", "judge");
    [["verdict", shown(s, s.verdict), "verdict"], ["backend", s.backend, null],
     ["judge reply", shown(s, s.verdict_raw), "raw"],
     ["error", s.judge_error, "judge-error"]].forEach(function (row) {
      if (row[1] === null || row[1] === undefined || row[1] === "") { return; }
      dl.appendChild(el("dt", null, row[0]));
      dl.appendChild(el("dd", row[2], row[1]));
    });
    if (!dl.firstChild) { dl.appendChild(el("dd", "none", "no judgement")); }
    texts.appendChild(dl);
    body.appendChild(texts);
    c.appendChild(body);
    return c;
  }

  function render() {
    while (listEl.firstChild) { listEl.removeChild(listEl.firstChild); }
    var pages = Math.max(1, Math.ceil(current.length / PAGE));
    if (page >= pages) { page = pages - 1; }
    current.slice(page * PAGE, (page + 1) * PAGE).forEach(function (s) { listEl.appendChild(card(s)); });
    countEl.textContent = current.length + " of " + samples.length + " samples match";
    pageEl.textContent = "page " + (page + 1) + " / " + pages;
    prevBtn.disabled = page === 0;
    nextBtn.disabled = page >= pages - 1;
  }

  function apply() {
    current = samples.filter(matches);
    page = 0;
    render();
  }

  fRun.addEventListener("change", apply);
  fTask.addEventListener("change", function () { refreshOptions(); apply(); });
  fVariant.addEventListener("change", apply);
  fOutcome.addEventListener("change", apply);
  fText.addEventListener("input", apply);
  if (redactBox) { redactBox.addEventListener("change", render); }
  prevBtn.addEventListener("click", function () { if (page > 0) { page -= 1; render(); } });
  nextBtn.addEventListener("click", function () { page += 1; render(); });

  refreshOptions();
  apply();
})();
