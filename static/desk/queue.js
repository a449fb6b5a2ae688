// The queue's keyboard (docs/design.md §10): j / k next and previous ticket, Enter opens it,
// c claims it. The selected ticket survives the queue's refresh every 20 seconds.
(() => {
  let selected = null; // the reference of the selected row
  let focusInQueue = false; // whether to give the row focus back after a refresh

  const queue = () => document.getElementById("queue");
  const rows = () => Array.from(document.querySelectorAll("#queue [data-queue-row]"));
  const typing = () => {
    const el = document.activeElement;
    return el && (["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) || el.isContentEditable);
  };

  function select(row, focus) {
    for (const each of rows()) {
      each.classList.toggle("table-active", each === row);
      each.tabIndex = each === row ? 0 : -1;
    }
    if (!row) return;
    selected = row.dataset.reference;
    if (focus) row.focus();
  }

  // The refresh waits while someone is using a form in the queue (a reassign half typed)
  // and while the tab is hidden.
  window.queueMayRefresh = () => {
    const box = queue();
    if (document.hidden || !box) return false;
    if (box.querySelector("details[open]")) return false;
    const active = document.activeElement;
    return !(active && box.contains(active) && active.closest("form"));
  };
  // Here rather than as an hx-trigger filter ("every 20s [queueMayRefresh()]"): htmx
  // evaluates filters as code, which the Content-Security-Policy forbids.
  document.addEventListener("htmx:confirm", (event) => {
    if (event.target.matches("[data-queue-refresh]") && !window.queueMayRefresh()) {
      event.preventDefault();
    }
  });

  // The refresh is a conditional request (docs/performance.md "Queue rendering"): it sends
  // the ETag of the list on screen, and a 304 ("what you have is still right") leaves the
  // list as it is. The ETag is kept with the URL it was given for, and sent only for it.
  let shown = { url: null, etag: null };
  document.addEventListener("htmx:configRequest", (event) => {
    if (!event.target.matches("[data-queue-refresh]")) return;
    if (shown.etag && shown.url === event.detail.path) {
      event.detail.headers["If-None-Match"] = shown.etag;
    }
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const xhr = event.detail.xhr;
    if (!event.detail.target || event.detail.target.id !== "queue" || !xhr) return;
    if (xhr.status === 304) {
      // The list on screen still holds; its ETag may name newer stamps (the server found
      // the rows unchanged after a write elsewhere): keep that one for the next poll.
      const fresh = xhr.getResponseHeader("ETag");
      if (fresh && shown.etag) shown.etag = fresh;
      if (window.deskClock) window.deskClock.confirmed(); // "updated at" now; texts to the minute
      return;
    }
    const etag = xhr.status === 200 ? xhr.getResponseHeader("ETag") : null;
    shown = { url: etag ? event.detail.pathInfo.finalRequestPath : null, etag };
  });
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr && event.detail.xhr.status === 304) event.detail.shouldSwap = false;
  });

  document.addEventListener("keydown", (event) => {
    if (!queue() || typing() || event.altKey || event.ctrlKey || event.metaKey) return;
    const list = rows();
    if (!list.length) return;
    const index = list.findIndex((row) => row.dataset.reference === selected);
    const row = list[index];
    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      const next = event.key === "j" ? Math.min(index + 1, list.length - 1) : Math.max(index - 1, 0);
      select(list[next], true);
    } else if (event.key === "Enter" && row && document.activeElement === row) {
      event.preventDefault();
      row.querySelector("[data-open]").click();
    } else if (event.key === "c" && row) {
      const claim = row.querySelector("[data-claim]");
      if (claim) {
        event.preventDefault();
        claim.click();
      }
    }
  });

  // A click on a row selects it, so that the keys carry on from there.
  document.addEventListener("focusin", (event) => {
    const row = event.target.closest && event.target.closest("#queue [data-queue-row]");
    if (row) selected = row.dataset.reference;
  });

  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "queue") {
      focusInQueue = queue().contains(document.activeElement);
    }
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (!queue() || !selected) return;
    const row = rows().find((each) => each.dataset.reference === selected);
    select(row || null, focusInQueue && Boolean(row));
  });
})();
