// The approval queue refreshes itself like the ticket queue (static/desk/queue.js): every
// 20 s in the background, never while the tab is hidden or while anything in the list is
// in use (focus inside it, a "Reject…" reason open), so no swap takes what someone is
// reading or typing. New tickets are announced once, politely, by reference.
(() => {
  const list = () => document.getElementById("approval-list");
  const news = document.getElementById("approval-news");
  let before = null; // the round ids shown before a refresh

  const rounds = () =>
    Array.from(document.querySelectorAll("#approval-list [data-round]")).map((card) => ({
      id: card.dataset.round,
      reference: card.dataset.reference,
    }));

  function mayRefresh() {
    const box = list();
    if (document.hidden || !box) return false;
    if (box.querySelector("details[open]")) return false;
    return !box.contains(document.activeElement);
  }

  // Here rather than as an hx-trigger filter: htmx evaluates filters as code, which the
  // Content-Security-Policy forbids.
  document.addEventListener("htmx:confirm", (event) => {
    if (event.target.matches("[data-approvals-refresh]") && !mayRefresh()) event.preventDefault();
  });
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "approval-list") {
      before = new Set(rounds().map((r) => r.id));
    }
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (before === null || !news) return;
    const added = rounds().filter((r) => !before.has(r.id));
    before = null;
    if (!added.length) return;
    const lead = added.length === 1 ? news.dataset.one : news.dataset.many;
    news.textContent = `${lead} ${added.map((r) => r.reference).join(", ")}.`;
  });
})();
