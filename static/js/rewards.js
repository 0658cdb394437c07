// Rewards page: balance (live over the websocket), wallet linking with an injected
// EIP-1193 wallet (plain `window.ethereum.request` calls, no library), redemptions.
const root = document.getElementById("rewards");
const $ = (id) => document.getElementById(id);
let summary = JSON.parse($("rewards-summary").textContent);
let pollTimer = null;

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
  $("bal-available").textContent = bal.available;
  $("bal-escrow").textContent = bal.escrow;
  $("bal-redeemed").textContent = bal.redeemed;
}

function render() {
  renderBalance(summary.balance);
  const walletLine = $("wallet-line");
  if (summary.wallet) {
    const code = el("code", summary.wallet.address);
    code.id = "wallet-address";
    walletLine.replaceChildren(document.createTextNode("Linked: "), code);
    $("link-wallet").textContent = "Link another wallet";
  }
  const body = $("redemptions").querySelector("tbody");
  body.replaceChildren();
  for (const r of summary.redemptions) {
    const tr = el("tr");
    tr.dataset.id = r.id;
    tr.dataset.status = r.status;
    tr.append(el("td", new Date(r.created_at).toLocaleString()), el("td", r.points, "num"));
    tr.append(hashCell(r.address, "wallet"));
    const st = el("td");
    const badge = el("span", r.status_label, `status ${r.status}`);
    if (r.cancel_reason) badge.title = r.cancel_reason;
    st.append(badge);
    tr.append(st, el("td", r.epoch ?? "—"));
    tr.append(hashCell(r.publish_tx && r.publish_tx.hash, `publication (${r.publish_tx && r.publish_tx.status})`));
    const claimTd = hashCell(r.claim_tx, "claim");
    claimTd.classList.add("claim-tx");
    tr.append(claimTd);
    const act = el("td");
    if (r.status === "pending") {
      const b = el("button", "Cancel", "link");
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
  $("claim").textContent = claimPending ? "Claim sent, waiting for confirmations…" : "Claim now (gasless)";
  // A browser wallet cannot reach the in-process chain: only offer self-claims on a real node.
  $("claim-wallet").classList.toggle("hidden", !claimable || root.dataset.embedded === "1" || !window.ethereum);

  const hist = $("history").querySelector("tbody");
  hist.replaceChildren();
  for (const h of summary.history) {
    const tr = el("tr");
    tr.append(el("td", new Date(h.at).toLocaleString()),
      el("td", (h.amount > 0 ? "+" : "") + h.amount, "num"), el("td", h.memo || h.kind));
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
    if (!address) throw new Error("The wallet shared no account.");
    const { message } = await api("/api/wallet/nonce", { method: "POST", body: { address } });
    // personal_sign (EIP-191) takes the message as hex-encoded UTF-8, then the account.
    const signature = await eth.request({ method: "personal_sign", params: [utf8ToHex(message), address] });
    await api("/api/wallet/link", { method: "POST", body: { message, signature } });
    await refresh();
  } catch (err) {
    showError("wallet-error", err.code === 4001 ? "You declined the request in your wallet." : err);
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
    showError("claim-error", err.code === 4001 ? "You declined the transaction in your wallet." : err);
  }
}

$("link-wallet").addEventListener("click", linkWallet);
$("redeem-form").addEventListener("submit", redeem);
$("claim").addEventListener("click", claimGasless);
$("claim-wallet").addEventListener("click", claimWithWallet);
if (!window.ethereum) $("no-wallet").classList.remove("hidden");
render();
connect();
