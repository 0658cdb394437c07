// Voting page: vote with buttons or keys, reveal in place, then next battle.
const root = document.getElementById("arena");
const form = document.getElementById("vote-form");
const revealBox = document.getElementById("reveal");
const errorBox = document.getElementById("vote-error");
const nextLink = document.getElementById("next");
// Only the digits shown on the buttons vote: arrow keys stay free to scroll
// wide code and tables, and no letter casts a vote by accident.
const KEYS = { "1": "model_a", "2": "model_b", "3": "tie", "4": "both_bad" };
// Enter belongs to the focused control when it has one (a link to follow, a button
// to press, a "Why?" to open): the next-battle shortcut must not take it away.
const OWNS_ENTER = "a[href], button, input, select, textarea, summary, [contenteditable]:not([contenteditable=false])";
let busy = false;
// Numbers shown to people follow the page's language (<html lang>).
const LOCALE = document.documentElement.lang || undefined;
const NUM = new Intl.NumberFormat(LOCALE);

function csrfToken() {
  return form.querySelector("input[name=csrfmiddlewaretoken]").value;
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

// A translated sentence whose %(name)s slots are filled with nodes (or text), so a
// translation may put the emphasised parts in any order.
function fill(format, parts) {
  return format.split(/(%\(\w+\)s)/).filter(Boolean).map((piece) => {
    const slot = /^%\((\w+)\)s$/.exec(piece);
    if (!slot || !Object.hasOwn(parts, slot[1])) return document.createTextNode(piece);
    const part = parts[slot[1]];
    return part instanceof Node ? part : document.createTextNode(String(part));
  });
}

function showReveal(reveal) {
  // The sides keep their letters in every language, as on the buttons.
  const label = {
    model_a: "A",
    model_b: "B",
    tie: pgettext("vote choice", "a tie"),
    both_bad: pgettext("vote choice", "both bad"),
  }[reveal.choice];
  for (const side of ["a", "b"]) {
    const slot = document.getElementById(`reveal-${side}`);
    const model = reveal[`model_${side}`];
    slot.replaceChildren(document.createTextNode(`${model.name} `), el("small", model.provider));
  }
  const text = document.getElementById("reveal-text");
  text.replaceChildren(...fill(
    gettext("You voted %(choice)s. A was %(model_a)s (%(provider_a)s), B was %(model_b)s (%(provider_b)s)."),
    {
      choice: el("strong", label),
      model_a: el("strong", reveal.model_a.name),
      provider_a: reveal.model_a.provider,
      model_b: el("strong", reveal.model_b.name),
      provider_b: reveal.model_b.provider,
    },
  ));
  const points = document.getElementById("reveal-points");
  const outcome = reveal.outcome || { state: "pending", reason: "" };
  const head = outcome.state === "pending"
    ? el("span", gettext("Points pending."))
    : el("strong", interpolate(
      ngettext("+%(points)s point", "+%(points)s points", outcome.points),
      { points: NUM.format(outcome.points) }, true));
  points.replaceChildren(head, document.createTextNode(" "), el("span", outcome.reason || "", "muted"));
  document.getElementById("skip-form")?.remove();
  document.getElementById(`answer-${reveal.choice === "model_b" ? "b" : "a"}`)
    .classList.toggle("winner", reveal.choice === "model_a" || reveal.choice === "model_b");
  revealBox.classList.remove("hidden");
  root.dataset.state = "revealed";
  form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  nextLink.focus();
}

async function vote(choice) {
  if (busy || root.dataset.state !== "open") return;
  busy = true;
  errorBox.classList.add("hidden");
  const reasons = [...form.querySelectorAll("input[name=reasons]:checked")].map((i) => i.value);
  form.querySelector(`button[data-choice="${choice}"]`)?.classList.add("chosen");
  try {
    const resp = await fetch(root.dataset.voteUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ choice, reasons }),
      credentials: "same-origin",
    });
    const data = await resp.json().catch(() => ({ detail: `HTTP ${resp.status}` }));
    if (!resp.ok) throw new Error(data.detail || `HTTP ${resp.status}`);
    showReveal(data.reveal);
  } catch (err) {
    errorBox.textContent = interpolate(
      gettext("Your vote was not recorded: %(reason)s"), { reason: err.message }, true);
    errorBox.classList.remove("hidden");
    form.querySelector(".chosen")?.classList.remove("chosen");
  } finally {
    busy = false;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const choice = event.submitter?.dataset.choice;
  if (choice) vote(choice);
});

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  const target = event.target instanceof Element ? event.target : null;
  if (target?.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])")
      && target.type !== "checkbox") return;
  if (root.dataset.state === "revealed") {
    if (event.key === "Enter" && target?.closest(OWNS_ENTER)) return;
    if (event.key === "n" || event.key === "N" || event.key === "Enter") {
      event.preventDefault();
      window.location.assign(nextLink.href);
    }
    return;
  }
  const choice = Object.hasOwn(KEYS, event.key) ? KEYS[event.key] : null;
  if (choice) {
    event.preventDefault();
    vote(choice);
  }
});
