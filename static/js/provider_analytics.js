// Provider analytics page: the score history (with its interval band) and the
// win rate against each opponent, drawn with the vendored Chart.js.
/* global Chart */

const data = JSON.parse(document.getElementById("an-data").textContent);
// Numbers and dates shown to people follow the page's language (<html lang>).
// Scores stay ungrouped ("1050"), as the server renders them and as ratings are quoted.
const LOCALE = document.documentElement.lang || undefined;
const NUM = new Intl.NumberFormat(LOCALE);
const SCORE = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0, useGrouping: false });
const PCT = new Intl.NumberFormat(LOCALE, { style: "percent", maximumFractionDigits: 0 });
const missing = (x) => x === null || x === undefined;
const fmt0 = (x) => (missing(x) ? "–" : SCORE.format(Math.round(x)));
const pct = (x) => (missing(x) ? "–" : PCT.format(x));
// Snapshot times on the axis are in UTC (its title says so), written the page's way.
const WHEN = new Intl.DateTimeFormat(LOCALE, { dateStyle: "short", timeStyle: "short", timeZone: "UTC" });

// The model picker switches pages, keeping the slice.
const picker = document.getElementById("an-model");
picker.addEventListener("change", () => {
  const params = new URLSearchParams(new FormData(document.getElementById("an-filters")));
  window.location.href = `${picker.dataset.base}${encodeURIComponent(picker.value)}/?${params}`;
});
for (const id of ["an-method", "an-category"]) {
  document.getElementById(id).addEventListener("change", () => document.getElementById("an-filters").submit());
}

function historyChart(canvas) {
  const points = data.history;
  const labels = points.map((p) => WHEN.format(new Date(p.created_at)));
  const withBand = points.some((p) => p.lower !== null);
  const datasets = [];
  if (withBand) {
    // The interval as a filled band between its upper and lower edge.
    datasets.push({
      label: pgettext("interval bound", "upper"),
      data: points.map((p) => p.upper),
      borderColor: "rgba(59, 91, 219, 0.35)",
      backgroundColor: "rgba(59, 91, 219, 0.15)",
      pointRadius: 0,
      borderWidth: 1,
      fill: "+1",
    });
    datasets.push({
      label: pgettext("interval bound", "lower"),
      data: points.map((p) => p.lower),
      borderColor: "rgba(59, 91, 219, 0.35)",
      pointRadius: 0,
      borderWidth: 1,
      fill: false,
    });
  }
  const scoreIndex = datasets.length;
  datasets.push({
    label: pgettext("rating", "score"),
    data: points.map((p) => p.score),
    borderColor: "#1b1f24",
    backgroundColor: "#1b1f24",
    pointRadius: points.length > 60 ? 0 : 3,
    borderWidth: 2,
    fill: false,
  });
  return new Chart(canvas, {
    type: "line",
    data: { labels, datasets },
    options: {
      locale: LOCALE,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { ticks: { maxTicksLimit: 8, autoSkip: true }, title: { display: true, text: gettext("snapshot (UTC)") } },
        y: { title: { display: true, text: pgettext("rating", "score") } },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          filter: (item) => item.datasetIndex === scoreIndex,
          callbacks: {
            label: (ctx) => {
              const p = points[ctx.dataIndex];
              const values = {
                score: fmt0(p.score),
                lower: fmt0(p.lower),
                upper: fmt0(p.upper),
                rank: missing(p.rank) ? "–" : NUM.format(p.rank),
                votes: NUM.format(p.votes),
              };
              const format = p.lower === null
                ? ngettext("score %(score)s, rank %(rank)s, %(votes)s vote",
                  "score %(score)s, rank %(rank)s, %(votes)s votes", p.votes)
                : ngettext("score %(score)s (%(lower)s – %(upper)s), rank %(rank)s, %(votes)s vote",
                  "score %(score)s (%(lower)s – %(upper)s), rank %(rank)s, %(votes)s votes", p.votes);
              return interpolate(format, values, true);
            },
          },
        },
      },
    },
  });
}

function opponentsChart(canvas) {
  const rows = data.opponents;
  const labels = rows.map((r) => r.opponent_name);
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels,
      datasets: [
        {
          label: gettext("win rate"),
          data: rows.map((r) => r.win_rate * 100),
          backgroundColor: rows.map((r) => (r.win_rate >= 0.5 ? "rgba(47, 158, 68, 0.7)" : "rgba(224, 49, 49, 0.6)")),
          barPercentage: 0.6,
        },
      ],
    },
    options: {
      locale: LOCALE,
      indexAxis: "y",
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { min: 0, max: 100, title: { display: true, text: gettext("win rate (%), ties count half") } },
        y: { ticks: { autoSkip: false } },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const r = rows[ctx.dataIndex];
              const ties = interpolate(ngettext("%(count)s tie", "%(count)s ties", r.ties),
                { count: NUM.format(r.ties) }, true);
              // Translators: votes where the voter found both answers bad.
              const bothBad = interpolate(ngettext("%(count)s both bad", "%(count)s both bad", r.both_bad),
                { count: NUM.format(r.both_bad) }, true);
              return interpolate(
                ngettext("%(rate)s of %(votes)s vote (%(wins)s–%(losses)s, %(ties)s, %(both_bad)s)",
                  "%(rate)s of %(votes)s votes (%(wins)s–%(losses)s, %(ties)s, %(both_bad)s)", r.battles),
                {
                  rate: pct(r.win_rate),
                  votes: NUM.format(r.battles),
                  wins: NUM.format(r.wins),
                  losses: NUM.format(r.losses),
                  ties,
                  both_bad: bothBad,
                },
                true,
              );
            },
          },
        },
      },
      // A bar leads to the battles behind it.
      onClick: (_event, elements) => {
        if (elements.length) window.location.href = rows[elements[0].index].battles_url;
      },
    },
  });
}

const history = document.getElementById("plot-history");
if (history) historyChart(history);
const opponents = document.getElementById("plot-opponents");
if (opponents) opponentsChart(opponents);
