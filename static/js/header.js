// The header's points badge: balance and today's progress toward the daily cap,
// pushed over the rewards websocket (the consumer sends them on connect and after
// every ledger change, e.g. each vote's credit), so no page render pays a query.
const badge = document.getElementById("header-balance");

// Numbers and times shown to people follow the page's language (<html lang>).
const LOCALE = document.documentElement.lang || undefined;
const NUM = new Intl.NumberFormat(LOCALE);

function badgeTitle(msg, today) {
  const values = {
    available: NUM.format(msg.available),
    escrow: NUM.format(msg.escrow || 0),
    earned: NUM.format(today.earned),
    cap: NUM.format(today.cap),
    time: today.resets_at
      ? new Date(today.resets_at).toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" })
      : "",
  };
  const fill = (format) => interpolate(format, values, true);
  const sentences = [fill(msg.escrow
    ? ngettext("%(available)s point available, %(escrow)s in escrow",
      "%(available)s points available, %(escrow)s in escrow", msg.available)
    : ngettext("%(available)s point available", "%(available)s points available", msg.available))];
  if (today.cap) {
    let after;
    if (today.earned >= today.cap) {
      after = values.time
        ? gettext("the cap is reached: votes still count, points resume at %(time)s")
        : gettext("the cap is reached: votes still count, points resume tomorrow");
    } else {
      after = values.time ? gettext("it resets at %(time)s") : gettext("it resets tomorrow");
    }
    sentences.push(`${fill(ngettext("Today: %(earned)s of %(cap)s point (the daily cap)",
      "Today: %(earned)s of %(cap)s points (the daily cap)", today.cap))}; ${fill(after)}`);
  }
  sentences.push(gettext("Open your rewards."));
  return sentences.join(". ");
}

function show(msg) {
  const today = msg.today || { earned: 0, cap: 0 };
  const available = NUM.format(msg.available);
  document.getElementById("header-points").textContent = available;
  // On a phone the navigation (and its badge) folds into the menu; this copy stays in view.
  const phone = document.getElementById("header-points-phone");
  if (phone) phone.textContent = available;
  document.getElementById("header-today").textContent = today.cap
    ? ` · ${interpolate(gettext("today %(earned)s/%(cap)s"),
      { earned: NUM.format(today.earned), cap: NUM.format(today.cap) }, true)}`
    : "";
  // Plain integers: tests and scripts read these back.
  badge.dataset.available = String(msg.available);
  badge.dataset.earnedToday = String(today.earned);
  badge.title = badgeTitle(msg, today);
}

function connect(delay = 1000) {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws/rewards/`);
  ws.addEventListener("open", () => { badge.dataset.live = "open"; });
  ws.addEventListener("message", (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    if (msg.type === "balance") show(msg);
  });
  ws.addEventListener("close", (ev) => {
    badge.dataset.live = "closed";
    if (ev.code === 4401) return; // logged out elsewhere: nothing to show
    setTimeout(() => connect(Math.min(delay * 2, 30000)), delay);
  });
}

if (badge) connect();
