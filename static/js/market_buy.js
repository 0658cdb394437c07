// Buying a dataset version from its page: an injected EIP-1193 wallet (plain
// `window.ethereum.request` calls, no library) pays the order the server quoted.
// Steps, each shown in words: connect the wallet, (test dollars where the token is
// the test one), order (the server stores it with its quote), approve, pay, then wait
// for the payment's confirmations; the download links appear once it is paid.
(function () {
  const root = document.getElementById("market-buy");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  let address = null;

  function csrfToken() {
    return root.querySelector("input[name=csrfmiddlewaretoken]").value;
  }

  async function api(path, body) {
    const resp = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken(),
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const data = await resp.json().catch(() => ({ detail: `HTTP ${resp.status}` }));
    if (!resp.ok) throw new Error(data.detail || `HTTP ${resp.status}`);
    return data;
  }

  function say(text) {
    $("buy-status").textContent = text;
  }

  function fail(err) {
    const box = $("buy-error");
    box.textContent = err.code === 4001 ? gettext("You declined the request in your wallet.") : String(err.message || err);
    box.classList.remove("hidden");
    $("buy-button").disabled = false;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function mined(hash) {
    // The wallet's node answers null until the transaction is in a block.
    for (let i = 0; i < 240; i++) {
      const receipt = await window.ethereum.request({ method: "eth_getTransactionReceipt", params: [hash] });
      if (receipt) {
        if (receipt.status !== "0x1" && receipt.status !== 1) throw new Error(gettext("The transaction failed on chain; nothing was paid."));
        return receipt;
      }
      await sleep(1000);
    }
    throw new Error(gettext("The transaction is taking long to be mined; this page will not pay twice. Reload it later."));
  }

  function organization() {
    const select = $("buy-organization");
    return select ? select.value : root.dataset.organization;
  }

  async function connect() {
    $("buy-error").classList.add("hidden");
    if (!window.ethereum) {
      $("buy-no-wallet").classList.remove("hidden");
      return;
    }
    try {
      [address] = await window.ethereum.request({ method: "eth_requestAccounts" });
      $("buy-address").textContent = address;
      $("buy-wallet").classList.remove("hidden");
      $("buy-connect").classList.add("hidden");
    } catch (err) {
      fail(err);
    }
  }

  async function testDollars() {
    $("buy-error").classList.add("hidden");
    try {
      say(gettext("Minting 1,000 test dollars to your wallet…"));
      await api("/api/v1/market/test-dollars", { address });
      say(gettext("1,000 test dollars are on their way to your wallet."));
    } catch (err) {
      fail(err);
    }
  }

  async function buy() {
    $("buy-error").classList.add("hidden");
    $("buy-button").disabled = true;
    try {
      say(gettext("Step 1 of 4: asking for a quote…"));
      const body = { dataset: root.dataset.dataset, version: Number(root.dataset.version), buyer_address: address };
      const org = organization();
      if (org) body.organization = org;
      const order = await api("/api/v1/market/orders", body);
      root.dataset.order = order.id;
      const [approve, purchase] = order.calls;
      say(gettext("Step 2 of 4: allow the market to take the price from your wallet (confirm in your wallet)."));
      await mined(await window.ethereum.request({ method: "eth_sendTransaction", params: [{ from: address, to: approve.to, data: approve.data }] }));
      say(gettext("Step 3 of 4: pay (confirm in your wallet)."));
      await mined(await window.ethereum.request({ method: "eth_sendTransaction", params: [{ from: address, to: purchase.to, data: purchase.data }] }));
      say(gettext("Step 4 of 4: paid; waiting for the payment's confirmations on chain…"));
      for (let i = 0; i < 600; i++) {
        const state = await api(`/api/v1/market/orders/${order.id}`, {});
        if (state.status === "paid") {
          say(gettext("Bought. Your organisation's keys can now download this version."));
          $("buy-downloads").classList.remove("hidden");
          root.dataset.state = "paid";
          return;
        }
        if (state.status === "expired") throw new Error(gettext("The quote expired before it was paid; nothing was taken. Buy again for a new quote."));
        await sleep(2000);
      }
    } catch (err) {
      fail(err);
    }
  }

  $("buy-connect").addEventListener("click", connect);
  $("buy-button").addEventListener("click", buy);
  const faucet = $("buy-test-dollars");
  if (faucet) faucet.addEventListener("click", testDollars);
})();
