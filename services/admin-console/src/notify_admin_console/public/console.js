// The console's own progressive enhancements (every page works without them):
// GOV.UK Frontend's components; live regions that refresh themselves; the template preview as you
// type; spark bars. Loaded as a module, so Content-Security-Policy needs no inline script.
import { initAll } from "/static/govuk-frontend.min.js";

document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) document.body.classList.add("govuk-frontend-supported");
initAll();

function sparkBars(root) {
  root.querySelectorAll(".console-spark__bar[data-width]").forEach((bar) => {
    bar.style.width = `${Number(bar.dataset.width)}%`;
  });
}
sparkBars(document);

// A region with data-live-update="<ms>" is fetched again (the same URL) and swapped in place,
// while the tab is visible; it stops when the new version no longer asks to be updated.
document.querySelectorAll("[data-live-update]").forEach((region) => {
  let interval = Number(region.dataset.liveUpdate) || 5000;
  const tick = async () => {
    if (document.hidden) return setTimeout(tick, interval);
    try {
      const response = await fetch(window.location.href, { headers: { "X-Live-Update": "1" }, credentials: "same-origin" });
      if (!response.ok) return;
      const html = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = html.getElementById(region.id);
      if (!fresh) return;
      region.innerHTML = fresh.innerHTML;
      sparkBars(region);
      if (!fresh.hasAttribute("data-live-update")) {
        region.removeAttribute("data-live-update");
        region.dataset.liveFinished = "true";
        return;
      }
    } catch (error) {
      interval = Math.min(interval * 2, 60000);
    }
    setTimeout(tick, interval);
  };
  setTimeout(tick, interval);
});

// Template forms re-render their preview as people type.
document.querySelectorAll("form[data-preview-url]").forEach((form) => {
  const target = document.getElementById(form.dataset.previewTarget);
  let timer;
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
      });
      if (response.ok && target) target.innerHTML = await response.text();
    }, 300);
  });
});
