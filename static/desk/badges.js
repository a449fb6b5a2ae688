// The navigation's badges (profiledesk/notifications, templates/notifications/_nav.html):
// asked at load and every NOTIFICATIONS_POLL_SECONDS (the answer's `poll`) in the background (X-Desk-Background: not
// activity for the idle sign-out), never while the tab is hidden, and at once when it is
// shown again. Each badge's count is text, with a sentence for screen readers ("Approvals,
// 3 waiting for you"); the live region says only the badges whose count rose since the
// last answer, never all of them again.
(() => {
  const list = document.getElementById("desk-badges");
  const news = document.getElementById("desk-badges-news");
  if (!list || !news) return;
  const url = list.dataset.badgesUrl;
  let every = 30000; // the answer says how often to ask (NOTIFICATIONS_POLL_SECONDS)
  let last = null; // {key: count} of the previous answer; null before the first
  let timer = null;
  let busy = false;
  let again = false; // asked while an answer was on its way: ask once more after it
  let stopped = false;

  function item(badge) {
    let li = list.querySelector(`[data-badge="${badge.key}"]`);
    if (li) return li;
    li = document.createElement("li");
    li.className = "nav-item";
    li.dataset.badge = badge.key;
    const a = document.createElement("a");
    a.className = "nav-link";
    a.href = badge.url;
    const seen = document.createElement("span");
    seen.setAttribute("aria-hidden", "true");
    const label = document.createElement("span");
    label.dataset.badgeLabel = "";
    const count = document.createElement("span");
    count.className = "badge rounded-pill text-bg-warning";
    count.dataset.badgeCount = "";
    seen.append(label, " ", count);
    const text = document.createElement("span");
    text.className = "visually-hidden";
    text.dataset.badgeText = "";
    a.append(seen, text);
    li.append(a);
    li.hidden = true;
    list.prepend(li);
    return li;
  }

  function show(badge) {
    const li = item(badge);
    // Text only where it changed: a link in focus keeps its focus and its name.
    const set = (el, value) => {
      if (el && el.textContent !== value) el.textContent = value;
    };
    set(li.querySelector("[data-badge-label]"), badge.label);
    set(li.querySelector("[data-badge-text]"), badge.text);
    const count = li.querySelector("[data-badge-count]");
    set(count, badge.shown);
    count.hidden = badge.count === 0;
    // Notifications stay (the way to the list); the others show only with work waiting.
    li.hidden = badge.count === 0 && badge.key !== "notifications";
  }

  function announce(badges) {
    if (last === null) return; // the page's first answer is its baseline, not news
    const rose = badges.filter((b) => b.count > (last[b.key] || 0)).map((b) => b.text);
    if (rose.length) news.textContent = rose.join(". ") + ".";
  }

  async function poll() {
    timer = null;
    if (busy) {
      again = true;
      return;
    }
    if (stopped || document.hidden) return;
    busy = true;
    try {
      const response = await fetch(url, {
        headers: { "X-Desk-Background": "1", Accept: "application/json" },
        credentials: "same-origin",
      });
      const type = response.headers.get("Content-Type") || "";
      // Signed out (a redirect to the sign-in page) or no longer allowed: stop asking.
      if (!response.ok || !type.includes("application/json")) {
        stopped = true;
        return;
      }
      const data = await response.json();
      every = Math.max(5, Number(data.poll) || 30) * 1000;
      for (const badge of data.badges) show(badge);
      announce(data.badges);
      last = Object.fromEntries(data.badges.map((b) => [b.key, b.count]));
    } catch (error) {
      // The network is down: try again at the next period.
    } finally {
      busy = false;
    }
    if (again) {
      again = false;
      poll();
      return;
    }
    schedule();
  }

  function schedule() {
    if (!stopped && !document.hidden && timer === null) timer = setTimeout(poll, every);
  }

  document.addEventListener("visibilitychange", () => {
    clearTimeout(timer);
    timer = null;
    if (!document.hidden) poll();
  });
  poll();
})();
