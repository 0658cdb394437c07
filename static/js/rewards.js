// Rewards page: balance (live over the websocket), wallet linking with an injected
// EIP-1193 wallet (plain `window.ethereum.request` calls, no library), redemptions.
const root = document.getElementById("rewards");
const $ = (id) => document.getElementById(id);
let summary = JSON.parse($("rewards-summary").textContent);
let pollTimer = null;
// Numbers and dates shown to people follow the page's language (<html lang>).
const LOCALE = document.documentElement.lang || undefined;
const NUM = new Intl.NumberFormat(LOCALE);
const SIGNED = new Intl.NumberFormat(LOCALE, { signDisplay: "exceptZero" });
// A chain transaction's status (the server's code) in words; an unknown code shows as it is.
const TX_STATUS = {
  signed: pgettext("transaction status", "signed"),
  sent: pgettext("transaction status", "sent"),
  mined: pgettext("transaction status", "mined"),
  confirmed: pgettext("transaction status", "confirmed"),
  reverted: pgettext("transaction status", "reverted"),
  dropped: pgettext("transaction status", "dropped"),
};

function csrfToken() {
  return root.querySelector("input[name=csrfmiddlewaretoken]").value;
}

async function api(path, { method = "GET", body, headers = {} } = {}) {
  const resp = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken(),
      ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await resp.json().catch(() => ({ detail: `HTTP ${resp.status}` }));
  if (!resp.ok) throw new Error(data.detail || `HTTP ${resp.status}`);
  return data;
}

function showError(id, err) {
  const box = $(id);
  box.textContent = err ? String(err.message || err) : "";
  box.classList.toggle("hidden", !err);
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

// Both tables date a line the same short way ("12/3/26, 1:30 PM").
const WHEN = { dateStyle: "short", timeStyle: "short" };

function shortHash(hash) {
  return hash ? `${hash.slice(0, 10)}…${hash.slice(-6)}` : "";
}

function hashCell(hash, title) {
  const td = el("td");
  if (hash) {
    const code = el("code", shortHash(hash), "hash");
    code.title = title ? `${title}: ${hash}` : hash;
    code.dataset.hash = hash;
    td.append(code);
  }
  return td;
}

function renderBalance(bal) {
  $("bal-available").textContent = NUM.format(bal.available);
  $("bal-escrow").textContent = NUM.format(bal.escrow);
  $("bal-redeemed").textContent = NUM.format(bal.redeemed);
}

function renderToday(today) {
  if (!today) return;
  $("today-earned").textContent = NUM.format(today.earned);
  $("today-cap").textContent = NUM.format(today.cap);
  $("today-progress").max = Math.max(1, today.cap);
  $("today-progress").value = today.earned;
  $("today-progress").textContent = `${NUM.format(today.earned)} / ${NUM.format(today.cap)}`;
  $("today-note").textContent = today.cap && today.earned >= today.cap
    ? gettext("You reached today's cap: your votes still count for the leaderboard, and earn points again after midnight UTC.")
    : gettext("The count starts again at midnight UTC.");
}

function historyWhat(h) {
  const td = el("td");
  td.className = "what";
  if (h.url) {
    // A vote's credit names its prompt (not a battle id) and opens the vote in My votes.
    const a = el("a", h.memo);
    a.href = h.url;
    td.append(a);
  } else {
    td.textContent = h.memo || h.kind;
  }
  return td;
}

function render() {
  renderBalance(summary.balance);
  renderToday(summary.today);
  const walletLine = $("wallet-line");
  if (summary.wallet) {
    const code = el("code", summary.wallet.address);
    code.id = "wallet-address";
    const [before, after = ""] = gettext("Linked: %(address)s").split("%(address)s");
    walletLine.replaceChildren(before, code, after);
    $("link-wallet").textContent = gettext("Link another wallet");
  }
  const body = $("redemptions").querySelector("tbody");
  body.replaceChildren();
  for (const r of summary.redemptions) {
    const tr = el("tr");
    tr.dataset.id = r.id;
    tr.dataset.status = r.status;
    tr.append(el("td", new Date(r.created_at).toLocaleString(LOCALE, WHEN)), el("td", NUM.format(r.points), "num"));
    // On a phone the wallet, epoch and publication columns give way to the status and its reason.
    // Translators: "wallet", "publication (...)" and "claim" label a hash in its tooltip.
    const wallet = hashCell(r.address, gettext("wallet"));
    wallet.classList.add("hide-sm");
    tr.append(wallet);
    const st = el("td", undefined, "state");
    const badge = el("span", r.status_label, `status ${r.status}`);
    st.append(badge);
    // Why it was cancelled, visible (a tooltip alone never shows on a phone).
    if (r.cancel_explained) st.append(el("div", r.cancel_explained, "cancel-why"));
    tr.append(st, el("td", r.epoch ?? "—", "hide-sm"));
    const published = r.publish_tx
      ? interpolate(gettext("publication (%(status)s)"),
        { status: TX_STATUS[r.publish_tx.status] || r.publish_tx.status }, true)
      : "";
    const publication = hashCell(r.publish_tx && r.publish_tx.hash, published);
    publication.classList.add("hide-sm");
    tr.append(publication);
    const claimTd = hashCell(r.claim_tx, gettext("claim"));
    claimTd.classList.add("claim-tx");
    tr.append(claimTd);
    const act = el("td");
    if (r.status === "pending") {
      const b = el("button", gettext("Cancel"), "link");
      b.type = "button";
      b.addEventListener("click", () => cancel(r.id));
      act.append(b);
    }
    tr.append(act);
    body.append(tr);
  }
  $("no-redemptions").classList.toggle("hidden", summary.redemptions.length > 0);
  const claimable = summary.redemptions.some((r) => r.status === "claimable");
  const claimPending = !!summary.claim_pending;
  $("claim").classList.toggle("hidden", !claimable);
  $("claim").disabled = claimPending;
  $("claim").textContent = claimPending ? gettext("Claim sent, waiting for confirmations…") : gettext("Claim now (gasless)");
  // A browser wallet cannot reach the in-process chain: only offer self-claims on a real node.
  $("claim-wallet").classList.toggle("hidden", !claimable || root.dataset.embedded === "1" || !window.ethereum);

  const hist = $("history").querySelector("tbody");
  hist.replaceChildren();
  for (const h of summary.history) {
    const tr = el("tr");
    tr.append(el("td", new Date(h.at).toLocaleString(LOCALE, WHEN)),
      el("td", SIGNED.format(h.amount), "num"), historyWhat(h));
    hist.append(tr);
  }
  $("no-history").classList.toggle("hidden", summary.history.length > 0);
  schedulePoll();
}

function inFlight() {
  return summary.redemptions.some((r) => ["pending", "publishing", "claimable"].includes(r.status));
}

function schedulePoll() {
  clearTimeout(pollTimer);
  // Payout steps (publication, confirmations) happen off the page: poll while any is open.
  if (inFlight()) pollTimer = setTimeout(refresh, 2000);
}

async function refresh() {
  try {
    summary = await api("/api/rewards/summary");
    render();
  } catch (err) {
    schedulePoll();
  }
}

// --- live balance ----------------------------------------------------------------
function connect(delay = 1000) {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws/rewards/`);
  ws.addEventListener("open", () => { root.dataset.live = "open"; });
  ws.addEventListener("message", (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type !== "balance") return;
    const changed = msg.available !== summary.balance.available || msg.escrow !== summary.balance.escrow
      || msg.redeemed !== summary.balance.redeemed;
    summary.balance = { available: msg.available, escrow: msg.escrow, redeemed: msg.redeemed };
    renderBalance(summary.balance);
    if (msg.today) { summary.today = msg.today; renderToday(msg.today); }
    if (changed) refresh();
  });
  ws.addEventListener("close", () => {
    root.dataset.live = "closed";
    setTimeout(() => connect(Math.min(delay * 2, 30000)), delay);
  });
}

// --- wallet (EIP-1193 + Sign-In With Ethereum) -------------------------------------
function utf8ToHex(text) {
  return "0x" + [...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function linkWallet() {
  showError("wallet-error", null);
  const eth = window.ethereum;
  if (!eth) {
    $("no-wallet").classList.remove("hidden");
    return;
  }
  const button = $("link-wallet");
  button.disabled = true;
  try {
    const [address] = await eth.request({ method: "eth_requestAccounts" });
    if (!address) throw new Error(gettext("The wallet shared no account."));
    const { message } = await api("/api/wallet/nonce", { method: "POST", body: { address } });
    // personal_sign (EIP-191) takes the message as hex-encoded UTF-8, then the account.
    const signature = await eth.request({ method: "personal_sign", params: [utf8ToHex(message), address] });
    await api("/api/wallet/link", { method: "POST", body: { message, signature } });
    await refresh();
  } catch (err) {
    showError("wallet-error", err.code === 4001 ? gettext("You declined the request in your wallet.") : err);
  } finally {
    button.disabled = false;
  }
}

// --- redemptions -------------------------------------------------------------------
async function redeem(ev) {
  ev.preventDefault();
  showError("redeem-error", null);
  const points = Number.parseInt($("redeem-points").value, 10);
  const button = $("redeem");
  button.disabled = true;
  try {
    // One key per click: a network retry of this request is not paid twice.
    const key = crypto.randomUUID();
    await api("/api/rewards/redemptions", { method: "POST", body: { points }, headers: { "Idempotency-Key": key } });
    await refresh();
  } catch (err) {
    showError("redeem-error", err);
  } finally {
    button.disabled = false;
  }
}

async function cancel(id) {
  try {
    await api(`/api/rewards/redemptions/${id}/cancel`, { method: "POST", body: {} });
    await refresh();
  } catch (err) {
    showError("redeem-error", err);
  }
}

async function claimGasless() {
  showError("claim-error", null);
  $("claim").disabled = true;
  try {
    await api("/api/rewards/claim", { method: "POST", body: {} });
    await refresh();
  } catch (err) {
    showError("claim-error", err);
    $("claim").disabled = false;
  }
}

async function claimWithWallet() {
  showError("claim-error", null);
  try {
    const call = await api("/api/rewards/claim-call");
    const [from] = await window.ethereum.request({ method: "eth_requestAccounts" });
    await window.ethereum.request({ method: "eth_sendTransaction", params: [{ from, to: call.to, data: call.data }] });
    await refresh();
  } catch (err) {
    showError("claim-error", err.code === 4001 ? gettext("You declined the transaction in your wallet.") : err);
  }
}

$("link-wallet").addEventListener("click", linkWallet);
$("redeem-form").addEventListener("submit", redeem);
$("claim").addEventListener("click", claimGasless);
$("claim-wallet").addEventListener("click", claimWithWallet);
if (!window.ethereum) $("no-wallet").classList.remove("hidden");
render();
connect();
