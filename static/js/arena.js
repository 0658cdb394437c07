// Voting page: vote with buttons or keys, reveal in place, then next battle.
const root = document.getElementById("arena");
const form = document.getElementById("vote-form");
const revealBox = document.getElementById("reveal");
const errorBox = document.getElementById("vote-error");
const nextLink = document.getElementById("next");
const KEYS = { "1": "model_a", a: "model_a", ArrowLeft: "model_a", "2": "model_b", b: "model_b",
  ArrowRight: "model_b", "3": "tie", t: "tie", "4": "both_bad", x: "both_bad" };
let busy = false;

function csrfToken() {
  return form.querySelector("input[name=csrfmiddlewaretoken]").value;
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

function showReveal(reveal) {
  const label = { model_a: "A", model_b: "B", tie: "a tie", both_bad: "both bad" }[reveal.choice];
  for (const side of ["a", "b"]) {
    const slot = document.getElementById(`reveal-${side}`);
    const model = reveal[`model_${side}`];
    slot.replaceChildren(document.createTextNode(`${model.name} `), el("small", model.provider));
  }
  const text = document.getElementById("reveal-text");
  text.replaceChildren(
    document.createTextNode("You voted "), el("strong", label),
    document.createTextNode(". A was "), el("strong", reveal.model_a.name),
    document.createTextNode(` (${reveal.model_a.provider}), B was `), el("strong", reveal.model_b.name),
    document.createTextNode(` (${reveal.model_b.provider}).`),
  );
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
    errorBox.textContent = `Your vote was not recorded: ${err.message}`;
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
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable]") && event.target.type !== "checkbox") return;
  if (root.dataset.state === "revealed") {
    if (event.key === "n" || event.key === "N" || event.key === "Enter") {
      event.preventDefault();
      window.location.assign(nextLink.href);
    }
    return;
  }
  const choice = KEYS[event.key] ?? KEYS[event.key.toLowerCase?.()];
  if (choice) {
    event.preventDefault();
    vote(choice);
  }
});
