// "Sign in with your wallet" on the log-in and sign-up pages: Sign-In With Ethereum
// through an injected EIP-1193 wallet (plain `window.ethereum.request` calls), then
// the server's own nonce and log-in endpoints, as rewards.js links a wallet.
const box = document.getElementById("wallet-login-box");
const button = document.getElementById("wallet-login");
const noWallet = document.getElementById("no-wallet-login");
const errorBox = document.getElementById("wallet-login-error");

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

async function post(path, body) {
  const resp = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
  const answered = () => interpolate(gettext("The server answered %(status)s."), { status: resp.status }, true);
  const data = await resp.json().catch(() => ({ detail: answered() }));
  if (!resp.ok) throw new Error(data.detail || answered());
  return data;
}

function utf8ToHex(text) {
  return "0x" + [...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// Only a path on this site: `next` comes from the address bar.
function nextUrl() {
  const next = box.dataset.next || "";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/arena/";
}

function showError(message) {
  errorBox.textContent = message || "";
  errorBox.classList.toggle("hidden", !message);
}

async function signIn() {
  showError(null);
  const eth = window.ethereum;
  if (!eth) {
    noWallet.classList.remove("hidden");
    return;
  }
  button.disabled = true;
  button.textContent = gettext("Waiting for your wallet…");
  try {
    const [address] = await eth.request({ method: "eth_requestAccounts" });
    if (!address) throw new Error(gettext("The wallet shared no account."));
    const { message } = await post("/api/wallet/nonce", { address });
    // personal_sign (EIP-191) takes the message as hex-encoded UTF-8, then the account.
    const signature = await eth.request({ method: "personal_sign", params: [utf8ToHex(message), address] });
    await post("/api/wallet/login", { message, signature });
    box.dataset.state = "signed-in";
    window.location.assign(nextUrl());
  } catch (err) {
    showError(err && err.code === 4001
      ? gettext("You declined the request in your wallet.") : String(err.message || err));
    button.disabled = false;
    button.textContent = gettext("Sign in with your wallet");
  }
}

button.addEventListener("click", signIn);
box.dataset.wallet = window.ethereum ? "present" : "absent";
