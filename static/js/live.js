// Live battle page: type a prompt, watch A and B stream, go on with the same
// pair, vote (same endpoint and reveal as the arena), then a fresh pair.
// Answers are shown as the server renders them (evals/markdown.py, the one
// sanitiser): a frame's "html" is the whole answer so far; text that arrived
// since the last render is shown raw in a tail until the next one replaces it.
// answer.js (loaded on every page) typesets math and adds copy buttons.
const root = document.getElementById("live");
const promptForm = document.getElementById("prompt-form");
const promptBox = document.getElementById("prompt");
const sendButton = document.getElementById("send");
const charCount = document.getElementById("char-count");
const voteForm = document.getElementById("vote-form");
const revealBox = document.getElementById("reveal");
const errorBox = document.getElementById("live-error");
const errorText = document.getElementById("live-error-text");
const maxChars = Number(root.dataset.maxChars);
const maxTurns = Number(root.dataset.maxTurns);
const available = !document.getElementById("no-models");
const KEYS = { "1": "model_a", "2": "model_b", "3": "tie", "4": "both_bad" };
// Numbers shown to people follow the page's language (<html lang>).
const LOCALE = document.documentElement.lang || undefined;
const NUM = new Intl.NumberFormat(LOCALE);
// The character counter stays ungrouped ("0 / 4000"), as the server renders it first.
const PLAIN = new Intl.NumberFormat(LOCALE, { useGrouping: false });

let socket = null;
let battle = null; // {id, ws_url, vote_url}
let turns = 0;
let busy = false;

function setState(state) {
  root.dataset.state = state; // idle | starting | streaming | ready | revealed | errored
  const streaming = state === "streaming" || state === "starting";
  voteForm.classList.toggle("hidden", state !== "ready");
  for (const side of ["a", "b"]) {
    document.getElementById(`stop-${side}`).classList.toggle("hidden", state !== "streaming");
    document.getElementById(`answer-${side}`).classList.toggle("streaming", state === "streaming");
  }
  const canType = available && (state === "idle" || (state === "ready" && turns < maxTurns));
  promptBox.disabled = !canType;
  sendButton.disabled = !canType;
  promptForm.classList.toggle("hidden", state === "revealed" || state === "errored");
  document.getElementById("suggestions")?.classList.toggle("hidden", state !== "idle");
  document.getElementById("prompt-label").textContent =
    state === "ready" ? gettext("Go on with the same pair (optional), or vote") : gettext("Your prompt");
  sendButton.textContent = state === "ready" ? gettext("Send to the same pair") : gettext("Send to two models");
  if (streaming) errorBox.classList.add("hidden");
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

function csrfToken() {
  return voteForm.querySelector("input[name=csrfmiddlewaretoken]").value;
}

function showError(message, fatal) {
  errorText.textContent = message;
  document.getElementById("fresh").classList.toggle("hidden", !fatal);
  errorBox.classList.remove("hidden");
  if (fatal) setState("errored");
}

function addTurn(index, prompt) {
  for (const side of ["a", "b"]) {
    const thread = document.getElementById(`thread-${side}`);
    thread.querySelector(".placeholder")?.remove();
    const block = el("div", "", "turn");
    block.dataset.turn = index;
    block.append(el("div", prompt, "turn-prompt"), el("div", "", "turn-answer md"));
    thread.append(block);
    document.getElementById(`status-${side}`).textContent = "";
  }
  turns = Math.max(turns, index + 1);
}

function answerNode(index, side) {
  return document.querySelector(`#thread-${side} .turn[data-turn="${index}"] .turn-answer`);
}

function showHtml(node, html) {
  // Sanitised on the server (nh3 allow-list, no raw HTML from the model).
  if (node) node.innerHTML = html;
}

// How an answer ended, shown under it; the keys are the server's finish reasons.
const FINISH = {
  stopped: pgettext("answer status", "stopped"),
  length: pgettext("answer status", "hit its length limit"),
  error: pgettext("answer status", "failed"),
  aborted: pgettext("answer status", "aborted"),
};

function onFrame(frame) {
  switch (frame.type) {
    case "hello":
      for (const t of frame.turns) {
        if (!answerNode(t.index, "a")) addTurn(t.index, t.prompt);
        if (t.state === "done" || t.state === "errored") {
          showHtml(answerNode(t.index, "a"), t.html.a);
          showHtml(answerNode(t.index, "b"), t.html.b);
        }
      }
      if (frame.vote_open) setState("ready");
      break;
    case "turn_start":
      if (!answerNode(frame.turn, "a")) addTurn(frame.turn, frame.prompt);
      setState("streaming");
      break;
    case "delta": {
      const node = answerNode(frame.turn, frame.side);
      if (!node) break;
      if (frame.html !== undefined) showHtml(node, frame.html);
      else {
        let tail = node.querySelector(".md-tail");
        if (!tail) {
          // Inside the last paragraph, so that "c" + "omp" reads as one word.
          const last = node.lastElementChild;
          const host = last && /^(P|LI|H[1-6])$/.test(last.tagName) ? last : node;
          tail = host.appendChild(el("span", "", "md-tail"));
        }
        tail.append(frame.text);
      }
      break;
    }
    case "side_done":
      if (frame.html !== undefined) showHtml(answerNode(frame.turn, frame.side), frame.html);
      document.getElementById(`stop-${frame.side}`).classList.add("hidden");
      document.getElementById(`answer-${frame.side}`).classList.remove("streaming");
      document.getElementById(`status-${frame.side}`).textContent = (Object.hasOwn(FINISH, frame.finish_reason)
        ? FINISH[frame.finish_reason] : pgettext("answer status", "done"));
      break;
    case "turn_done":
      setState("ready");
      promptBox.value = "";
      updateCount();
      break;
    case "battle_error":
      showError(frame.detail, true);
      break;
    case "error":
      showError(frame.detail, false);
      if (root.dataset.state === "starting") setState("ready");
      break;
  }
}

function connect(wsUrl) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${window.location.host}${wsUrl}`);
  socket.addEventListener("message", (event) => onFrame(JSON.parse(event.data)));
  socket.addEventListener("close", () => {
    const state = root.dataset.state;
    if (state === "streaming" || state === "starting") {
      showError(gettext("The connection was lost, so this battle will not count. Try a fresh pair."), true);
    }
  });
}

async function start(prompt) {
  setState("starting");
  try {
    const resp = await fetch(root.dataset.createUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ prompt }),
      credentials: "same-origin",
    });
    const data = await resp.json().catch(() => ({ detail: `HTTP ${resp.status}` }));
    if (!resp.ok) throw new Error(data.detail || `HTTP ${resp.status}`);
    battle = data;
    connect(data.ws_url);
  } catch (err) {
    setState("idle");
    showError(err.message, false);
  }
}

function send() {
  const prompt = promptBox.value.trim();
  if (!prompt) return;
  if (prompt.length > maxChars) {
    return showError(interpolate(
      ngettext("Prompts are limited to %(max)s character.", "Prompts are limited to %(max)s characters.", maxChars),
      { max: NUM.format(maxChars) }, true), false);
  }
  const state = root.dataset.state;
  if (state === "idle") start(prompt);
  else if (state === "ready" && socket?.readyState === WebSocket.OPEN) {
    setState("starting");
    socket.send(JSON.stringify({ type: "continue", prompt }));
  }
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
    const model = reveal[`model_${side}`];
    document.getElementById(`reveal-${side}`).replaceChildren(
      document.createTextNode(`${model.name} `), el("small", model.provider));
  }
  document.getElementById("reveal-text").replaceChildren(...fill(
    gettext("You voted %(choice)s. A was %(model_a)s (%(provider_a)s), B was %(model_b)s (%(provider_b)s)."),
    {
      choice: el("strong", label),
      model_a: el("strong", reveal.model_a.name),
      provider_a: reveal.model_a.provider,
      model_b: el("strong", reveal.model_b.name),
      provider_b: reveal.model_b.provider,
    },
  ));
  if (reveal.choice === "model_a" || reveal.choice === "model_b") {
    document.getElementById(`answer-${reveal.choice === "model_b" ? "b" : "a"}`).classList.add("winner");
  }
  revealBox.classList.remove("hidden");
  setState("revealed");
  document.getElementById("next").focus();
}

async function vote(choice) {
  if (busy || root.dataset.state !== "ready") return;
  busy = true;
  errorBox.classList.add("hidden");
  const reasons = [...voteForm.querySelectorAll("input[name=reasons]:checked")].map((i) => i.value);
  voteForm.querySelector(`button[data-choice="${choice}"]`)?.classList.add("chosen");
  try {
    const resp = await fetch(battle.vote_url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ choice, reasons }),
      credentials: "same-origin",
    });
    const data = await resp.json().catch(() => ({ detail: `HTTP ${resp.status}` }));
    if (!resp.ok) throw new Error(data.detail || `HTTP ${resp.status}`);
    socket?.close();
    showReveal(data.reveal);
  } catch (err) {
    showError(interpolate(gettext("Your vote was not recorded: %(reason)s"), { reason: err.message }, true), false);
    voteForm.querySelector(".chosen")?.classList.remove("chosen");
  } finally {
    busy = false;
  }
}

function freshPair() {
  window.location.assign(window.location.pathname);
}

function updateCount() {
  charCount.textContent = `${PLAIN.format(promptBox.value.length)} / ${PLAIN.format(maxChars)}`;
}

promptForm.addEventListener("submit", (event) => { event.preventDefault(); send(); });
promptBox.addEventListener("input", updateCount);
promptBox.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); send(); }
});
document.querySelectorAll(".suggestion").forEach((button) => button.addEventListener("click", () => {
  promptBox.value = button.dataset.text;
  updateCount();
  promptBox.focus();
}));
for (const side of ["a", "b"]) {
  document.getElementById(`stop-${side}`).addEventListener("click", () => {
    socket?.send(JSON.stringify({ type: "stop", side }));
  });
}
voteForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const choice = event.submitter?.dataset.choice;
  if (choice) vote(choice);
});
document.getElementById("fresh").addEventListener("click", freshPair);
document.getElementById("next").addEventListener("click", freshPair);
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable]") && event.target.type !== "checkbox") return;
  const state = root.dataset.state;
  if ((state === "revealed" || state === "errored") && (event.key === "n" || event.key === "N")) {
    event.preventDefault();
    freshPair();
  } else if (state === "ready" && KEYS[event.key]) {
    event.preventDefault();
    vote(KEYS[event.key]);
  }
});
setState("idle");
