// /api/docs/: Swagger UI's own dark theme (its CSS styles everything under
// html.dark-mode) follows the site's theme: the system's choice unless the
// toggle chose (site.js sets data-theme on <html>).
(function () {
  const root = document.documentElement;
  const system = window.matchMedia("(prefers-color-scheme: dark)");
  function apply() {
    const dark = root.dataset.theme ? root.dataset.theme === "dark" : system.matches;
    root.classList.toggle("dark-mode", dark);
  }
  apply();
  system.addEventListener("change", apply);
  new MutationObserver(apply).observe(root, { attributes: true, attributeFilter: ["data-theme"] });
})();
