// Loaded in <head> (not deferred) so the chosen theme is set before the page
// paints: no light flash for someone who picked dark. The CSP forbids inline
// scripts, hence a file. Also wires the theme toggle, the phone menu and the
// language switcher. Strings come from Django's JavaScript catalogue (gettext),
// loaded just before this file.
(function () {
  const root = document.documentElement;
  let saved = null;
  try { saved = localStorage.getItem("theme"); } catch { /* storage off */ }
  if (saved === "dark" || saved === "light") root.dataset.theme = saved;
  root.classList.add("js");

  function effective() {
    if (root.dataset.theme) return root.dataset.theme;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  document.addEventListener("DOMContentLoaded", () => {
    const toggle = document.getElementById("theme-toggle");
    const label = () => {
      const next = effective() === "dark" ? "light" : "dark";
      const text = next === "dark" ? gettext("Switch to dark mode") : gettext("Switch to light mode");
      toggle.setAttribute("aria-label", text);
      toggle.title = text;
      toggle.textContent = next === "dark" ? "☾" : "☀";
    };
    if (toggle) {
      label();
      toggle.addEventListener("click", () => {
        root.dataset.theme = effective() === "dark" ? "light" : "dark";
        try { localStorage.setItem("theme", root.dataset.theme); } catch { /* storage off */ }
        label();
      });
      window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", label);
    }
    const language = document.getElementById("lang-select");
    if (language) language.addEventListener("change", () => language.form.submit());
    const menu = document.getElementById("menu-toggle");
    const bar = document.querySelector(".topbar");
    if (menu && bar) {
      menu.addEventListener("click", () => {
        const open = bar.classList.toggle("open");
        menu.setAttribute("aria-expanded", String(open));
      });
    }
  });
})();
