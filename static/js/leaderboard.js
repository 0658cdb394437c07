// Leaderboard page: plots (vendored Chart.js + chartjs-chart-matrix), filter
// switching, and live redraws when a new snapshot lands on the websocket.
/* global Chart */

const root = document.getElementById("lb");
const form = document.getElementById("lb-filters");
const charts = {};
let data = JSON.parse(document.getElementById("lb-data").textContent);

// Numbers shown to people follow the page's language (<html lang>). Scores stay
// ungrouped ("1050", as the server renders them and as ratings are quoted).
const LOCALE = document.documentElement.lang || undefined;
const NUM = new Intl.NumberFormat(LOCALE);
const SCORE = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0, useGrouping: false });
const PCT = new Intl.NumberFormat(LOCALE, { style: "percent", maximumFractionDigits: 0 });
const PCT1 = new Intl.NumberFormat(LOCALE, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
const RATE = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const missing = (x) => x === null || x === undefined;
const fmt0 = (x) => (missing(x) ? "–" : SCORE.format(Math.round(x)));
const pct = (x) => (missing(x) ? "–" : PCT.format(x));

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

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (cls) el.className = cls;
  return el;
}

// Colours of the plots come from the site's CSS custom properties (site.css), so
// they follow the light or dark theme. A colour is [r, g, b], 0-255.
function readTheme() {
  const style = getComputedStyle(document.documentElement);
  const probe = document.createElement("span");
  probe.hidden = true;
  document.body.append(probe);
  const get = (name, fallback) => {
    probe.style.color = fallback;
    probe.style.color = style.getPropertyValue(name).trim() || fallback;
    const m = getComputedStyle(probe).color.match(/[\d.]+/g) || [0, 0, 0];
    return m.slice(0, 3).map(Number);
  };
  const theme = {
    fg: get("--fg", "#1b1f24"),
    muted: get("--muted", "#5d6670"),
    card: get("--card", "#ffffff"),
    line: get("--line", "#dde1e6"),
    accent: get("--accent", "#3b5bdb"),
    bad: get("--bad", "#c92a2a"),
  };
  probe.remove();
  return theme;
}

const css = ([r, g, b]) => `rgb(${r}, ${g}, ${b})`;
const rgba = ([r, g, b], a) => `rgba(${r}, ${g}, ${b}, ${a})`;
const mix = (from, to, t) => from.map((c, i) => Math.round(c + (to[i] - c) * t));

// WCAG relative luminance and contrast ratio.
function luminance(rgb) {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// The text colour for a number on a cell: the theme's text or card colour,
// whichever stands out more; where neither reaches 4.5:1 (cells of middling
// lightness), black or white, one of which always does.
function inkOn(fill, theme) {
  const best = (a, b) => (contrast(fill, a) >= contrast(fill, b) ? a : b);
  const ink = best(theme.fg, theme.card);
  return contrast(fill, ink) >= 4.5 ? ink : best([0, 0, 0], [255, 255, 255]);
}

// Filters: any change loads that slice (the server renders it, so the page
// also works without this script through the form's Show button).
form.addEventListener("change", () => form.submit());

function renderTable(snap) {
  const table = document.getElementById("lb-table");
  if (!table) return;
  const groups = snap.meta.n_components > 1;
  const tbody = document.createElement("tbody");
  for (const r of snap.rows) {
    const tr = document.createElement("tr");
    tr.append(text("td", missing(r.rank) ? "–" : NUM.format(r.rank)));
    const model = document.createElement("td");
    model.append(text("span", r.model, "model"));
    if (r.preliminary) {
      model.append(" ", text("span", gettext("preliminary"), "badge"));
    }
    model.append(document.createElement("br"), text("small", r.provider, "muted"));
    const score = text("td", fmt0(r.score), "num");
    if (r.lower !== null) score.append(text("small", `${fmt0(r.lower)}–${fmt0(r.upper)}`, "show-sm muted"));
    tr.append(model, score);
    tr.append(text("td", r.lower === null ? "–" : `${fmt0(r.lower)} – ${fmt0(r.upper)}`, "num hide-sm"));
    tr.append(text("td", NUM.format(r.votes), "num"), text("td", pct(r.win_rate), "num"));
    if (groups) tr.append(text("td", NUM.format(r.component + 1), "num"));
    tbody.append(tr);
  }
  table.tBodies[0].replaceWith(tbody);
  const summary = document.getElementById("lb-summary");
  const when = new Date(snap.created_at);
  // The time stays in the server's fixed "YYYY-MM-DD HH:MM UTC", so a live update
  // does not change how the page writes it.
  const time = text("time", when.toISOString().slice(0, 16).replace("T", " ") + " UTC");
  time.setAttribute("datetime", snap.created_at);
  const models = snap.rows.length;
  summary.replaceChildren(
    ...fill(ngettext("%(votes)s vote", "%(votes)s votes", snap.vote_count),
      { votes: text("strong", NUM.format(snap.vote_count)) }),
    " · ",
    interpolate(ngettext("%(models)s model", "%(models)s models", models), { models: NUM.format(models) }, true),
    " · ",
    ...fill(gettext("updated %(time)s"), { time }),
  );
}

function scoreChart(snap, theme) {
  const rows = snap.rows;
  const labels = rows.map((r) => r.model);
  const datasets = [];
  if (rows.some((r) => r.lower !== null)) {
    datasets.push({
      type: "bar",
      // The level as a placeholder: "95% i" would read as a printf directive to the catalogue tools.
      label: interpolate(gettext("%(level)s interval"), { level: "95%" }, true),
      data: rows.map((r) => (r.lower === null ? null : [r.lower, r.upper])),
      backgroundColor: rgba(theme.accent, 0.25),
      borderColor: rgba(theme.accent, 0.7),
      borderWidth: 1,
      barPercentage: 0.5,
    });
  }
  datasets.push({
    type: "scatter",
    label: pgettext("rating", "score"),
    data: rows.map((r) => ({ x: r.score, y: r.model })),
    backgroundColor: css(theme.fg),
    pointRadius: 4,
  });
  // Zoom on the scores: a bar chart would otherwise start its axis at zero.
  const lo = Math.min(...rows.map((r) => r.lower ?? r.score));
  const hi = Math.max(...rows.map((r) => r.upper ?? r.score));
  const pad = Math.max(10, (hi - lo) * 0.08);
  return {
    data: { labels, datasets },
    options: {
      locale: LOCALE,
      indexAxis: "y",
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: {
          type: "linear",
          min: Math.floor((lo - pad) / 10) * 10,
          max: Math.ceil((hi + pad) / 10) * 10,
          title: { display: true, text: pgettext("rating", "score") },
        },
        y: { type: "category", labels, ticks: { autoSkip: false } },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const r = rows[ctx.dataIndex];
              return r.lower === null
                ? `${r.model}: ${fmt0(r.score)}`
                : `${r.model}: ${fmt0(r.score)} (${fmt0(r.lower)} – ${fmt0(r.upper)})`;
            },
          },
        },
      },
    },
  };
}

// The heat maps are painted on the card, in the page's theme: cells mix the card's
// colour with the accent (more battles, or the row winning) or with the "bad" red
// (the row losing), so they are light on a light card and dark on a dark one.
function cellColour(v, kind, theme) {
  if (v === null || v === undefined) return mix(theme.card, theme.line, 0.5); // no value: the diagonal
  if (kind === "count") return mix(theme.card, theme.accent, 0.08 + 0.85 * v);
  const d = Math.min(1, Math.abs(v - 0.5) * 2);
  return mix(theme.card, v >= 0.5 ? theme.accent : theme.bad, 0.1 + 0.8 * d);
}

const cellText = {
  id: "cellText",
  afterDatasetsDraw(chart) {
    const ds = chart.data.datasets[0];
    const meta = chart.getDatasetMeta(0);
    const ctx = chart.ctx;
    ctx.save();
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    meta.data.forEach((el, k) => {
      const { width, height } = el.getProps(["width", "height"], true);
      const d = ds.data[k];
      if (width < 22 || height < 14 || d.v === null) return;
      ctx.font = `${Math.min(12, Math.floor(height / 2.2))}px system-ui, sans-serif`;
      ctx.fillStyle = css(d.ink);
      const c = el.getCenterPoint();
      ctx.fillText(d.label, c.x, c.y);
    });
    ctx.restore();
  },
};

function matrixChart(snap, key, theme) {
  const m = snap.meta.matrices;
  const models = m.models;
  const values = m[key];
  const max = key === "battles" ? Math.max(1, ...values.flat()) : 1;
  const cells = [];
  models.forEach((row, i) =>
    models.forEach((col, j) => {
      const raw = i === j ? null : values[i][j];
      const v = raw === null ? null : raw / max;
      const fill = cellColour(v, key === "battles" ? "count" : "rate", theme);
      cells.push({
        x: col,
        y: row,
        v,
        raw,
        label: raw === null ? "" : key === "battles" ? NUM.format(raw) : RATE.format(raw),
        fill,
        ink: inkOn(fill, theme),
      });
    }),
  );
  const n = models.length;
  return {
    type: "matrix",
    data: {
      datasets: [
        {
          data: cells,
          backgroundColor: (c) => css(c.raw?.fill ?? theme.card),
          borderWidth: 1,
          borderColor: css(theme.card),
          width: ({ chart }) => (chart.chartArea || {}).width / n - 1,
          height: ({ chart }) => (chart.chartArea || {}).height / n - 1,
        },
      ],
    },
    options: {
      locale: LOCALE,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: () => "",
            label: (ctx) => {
              const d = ctx.raw;
              const names = { row: d.y, col: d.x };
              if (d.raw === null) return interpolate(gettext("%(row)s vs %(col)s: –"), names, true);
              return key === "battles"
                ? interpolate(ngettext("%(row)s vs %(col)s: %(count)s battle", "%(row)s vs %(col)s: %(count)s battles",
                  d.raw), { ...names, count: NUM.format(d.raw) }, true)
                : interpolate(gettext("%(row)s beats %(col)s: %(rate)s"), { ...names, rate: PCT1.format(d.raw) }, true);
            },
          },
        },
      },
      scales: {
        x: { type: "category", labels: models, offset: true, grid: { display: false },
             ticks: { autoSkip: false, maxRotation: 60, minRotation: 45 } },
        y: { type: "category", labels: models, offset: true, reverse: false,
             grid: { display: false }, ticks: { autoSkip: false } },
      },
    },
    plugins: [cellText],
  };
}

function draw(id, config, type) {
  const canvas = document.getElementById(id);
  if (!canvas || typeof Chart === "undefined") return;
  if (charts[id]) charts[id].destroy();
  charts[id] = new Chart(canvas, { type: type || config.type, ...config });
}

function drawAll(snap) {
  if (!snap) return;
  const theme = readTheme();
  if (typeof Chart !== "undefined") {
    Chart.defaults.color = css(theme.muted); // axis ticks and titles
    Chart.defaults.borderColor = rgba(theme.line, 0.8); // grid lines
  }
  const h = Math.max(220, 34 * snap.rows.length + 60);
  const tall = document.querySelector(".plot.tall");
  if (tall) tall.style.height = `${h}px`;
  draw("plot-scores", scoreChart(snap, theme), "bar");
  draw("plot-predicted", matrixChart(snap, "predicted", theme));
  draw("plot-observed", matrixChart(snap, "observed", theme));
  draw("plot-battles", matrixChart(snap, "battles", theme));
  root.dataset.snapshot = snap.id;
}

async function refetch() {
  const params = new URLSearchParams({
    method: root.dataset.method,
    category: root.dataset.category,
    language: root.dataset.language,
  });
  const resp = await fetch(`${root.dataset.api}?${params}`, { headers: { Accept: "application/json" } });
  if (!resp.ok) return;
  const snap = await resp.json();
  if (!data) {
    window.location.reload(); // first snapshot of this slice: render it server-side
    return;
  }
  data = snap;
  renderTable(snap);
  drawAll(snap);
}

function connect(delay) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${window.location.host}${root.dataset.ws}`);
  const live = document.getElementById("lb-live");
  ws.onopen = () => {
    delay = 1000;
    if (live) live.classList.add("on");
    root.dataset.live = "on";
  };
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.type !== "snapshot") return;
    if (msg.category !== root.dataset.category || msg.language !== root.dataset.language) return;
    refetch();
  };
  ws.onclose = () => {
    if (live) live.classList.remove("on");
    root.dataset.live = "off";
    setTimeout(() => connect(Math.min(delay * 2, 30000)), delay);
  };
}

drawAll(data);
// The theme toggle (site.js) sets data-theme on <html>; without it the system's
// scheme rules. Either change repaints the plots in the new colours.
new MutationObserver(() => drawAll(data)).observe(document.documentElement, { attributeFilter: ["data-theme"] });
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => drawAll(data));
connect(1000);
