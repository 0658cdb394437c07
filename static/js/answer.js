// Shared by every page (loaded from base.html) that shows answers: typesets the
// math evals/markdown.py leaves as text (KaTeX, loaded only when a page has
// math), adds a copy button to code blocks, and on narrow screens shows
// answers A and B as tabs. Answers that arrive later (the live page's stream,
// the arena's next battle) are handled too: a MutationObserver re-runs it.
const KATEX_JS = new URL("../vendor/katex/katex.min.js", import.meta.url).href;
const KATEX_CSS = new URL("../vendor/katex/katex.min.css", import.meta.url).href;
let katexLoading = null;

function loadKatex() {
  if (window.katex) return Promise.resolve(window.katex);
  if (!katexLoading) {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = KATEX_CSS;
    document.head.append(css);
    katexLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = KATEX_JS;
      script.onload = () => resolve(window.katex);
      script.onerror = reject;
      document.head.append(script);
    });
  }
  return katexLoading;
}

function typeset(root) {
  const pending = root.querySelectorAll(".md .math-inline:not([data-tex]), .md .math-display:not([data-tex])");
  if (!pending.length) return;
  loadKatex().then((katex) => {
    for (const node of pending) {
      if (node.dataset.tex !== undefined || !node.isConnected) continue;
      const tex = node.textContent;
      node.dataset.tex = tex;
      // katex.render builds DOM nodes and sets styles through the CSSOM, which
      // the Content-Security-Policy allows (style attributes in HTML it blocks).
      // trust stays off: no \href, \includegraphics or raw HTML from an answer.
      katex.render(tex, node, {
        displayMode: node.classList.contains("math-display"),
        throwOnError: false,
        trust: false,
        maxExpand: 500,
      });
    }
  }).catch(() => {}); // the TeX source stays readable
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.append(area);
  area.select();
  try { document.execCommand("copy"); } finally { area.remove(); }
}

function addCopyButtons(root) {
  // Code in answers, and any block a page marks data-copy (a new API key).
  for (const pre of root.querySelectorAll(".md pre, pre[data-copy]")) {
    if (pre.parentElement.classList.contains("codeblock")) continue;
    const wrap = document.createElement("div");
    wrap.className = "codeblock";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = gettext("Copy");
    button.setAttribute("aria-label", pre.dataset.copyLabel || gettext("Copy this code"));
    button.addEventListener("click", async () => {
      try {
        await copyText(pre.textContent);
        button.textContent = gettext("Copied");
      } catch {
        button.textContent = gettext("Press Ctrl+C");
      }
      setTimeout(() => { button.textContent = gettext("Copy"); }, 1500);
    });
    pre.replaceWith(wrap);
    wrap.append(pre, button);
  }
}

function addTabs(root) {
  for (const answers of root.querySelectorAll(".answers")) {
    if (answers.dataset.tabs) continue;
    const sides = [...answers.querySelectorAll(":scope > .answer")];
    if (sides.length !== 2) continue;
    answers.dataset.tabs = "on";
    answers.dataset.show = "a";
    const bar = document.createElement("div");
    bar.className = "answer-tabs";
    bar.setAttribute("role", "tablist");
    for (const [i, side] of ["a", "b"].entries()) {
      const tab = document.createElement("button");
      tab.type = "button";
      tab.setAttribute("role", "tab");
      tab.dataset.side = side;
      tab.setAttribute("aria-controls", sides[i].id || "");
      // Translators: a tab on narrow screens; side is the letter A or B.
      tab.textContent = interpolate(gettext("Answer %(side)s"), { side: side.toUpperCase() }, true);
      tab.addEventListener("click", () => {
        answers.dataset.show = side;
        for (const t of bar.children) t.setAttribute("aria-selected", String(t === tab));
        // Back to the top of the answer, not the middle of the other one.
        if (bar.getBoundingClientRect().top < 0) bar.scrollIntoView({ block: "start" });
      });
      tab.setAttribute("aria-selected", String(side === "a"));
      bar.append(tab);
    }
    answers.before(bar);
  }
}

export function enhance(root = document) {
  addCopyButtons(root);
  typeset(root);
  addTabs(root);
}

let scheduled = false;
new MutationObserver(() => {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => { scheduled = false; enhance(document); });
}).observe(document.body, { childList: true, subtree: true });
enhance(document);
