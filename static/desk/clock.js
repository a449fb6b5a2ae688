// The queue's clock texts (tickets/queue_clock.py): between refreshes the browser moves each
// row's SLA text ("due in 42 min") and age ("3 hours") on to the minute, so that the server
// can answer an unchanged list 304 across minutes. The texts are the server's, worked out
// the same way: policies.sla.sla_status for a running clock, Django's timesince(depth=1)
// for the age, with the words the list carries in the page's language. Instants are
// microseconds since the epoch (exact in a Number); tests/tickets/test_queue_clock_js.py
// runs these functions and the Python ones over the same instants.
(() => {
  const US_MINUTE = 60e6;
  const fill = (pattern, values) =>
    pattern.replace(/%\((\w+)\)[ds]|%%/g, (match, name) => (name ? String(values[name]) : "%"));
  const plural = (forms, n) => forms[n === 1 ? 0 : 1];
  const unwrapped = (text) => text.replace(/ /g, "\u00a0"); // django.utils.html.avoid_wrapping

  // policies.sla._duration: whole minutes, rounded down.
  function duration(words, us) {
    const minutes = Math.floor(us / US_MINUTE);
    if (minutes < 1) return words.underMinute;
    if (minutes < 60) return fill(words.minutes, { minutes });
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    if (hours < 24) {
      return rest ? fill(words.hoursMinutes, { hours, minutes: rest }) : fill(words.hours, { hours });
    }
    const days = Math.floor(hours / 24);
    const daysText = fill(plural(words.days, days), { days });
    return hours % 24 ? fill(words.daysHours, { days: daysText, hours: hours % 24 }) : daysText;
  }

  // policies.sla.due_status: [band, text] of a running clock due at dueUs.
  function sla(words, dueUs, nowUs) {
    const left = dueUs - nowUs;
    if (left <= 0) return ["breached", fill(words.breached, { duration: duration(words, -left) })];
    const band = left <= words.dueSoonUs ? "due_soon" : "ok";
    return [band, fill(words.dueIn, { duration: duration(words, left) })];
  }

  const MONTHS_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  const UNITS = ["year", "month", "week", "day", "hour", "minute"];
  const CHUNKS = [604800, 86400, 3600, 60]; // week, day, hour, minute, in seconds

  function utc(us) {
    const ms = Math.floor(us / 1000);
    const date = new Date(ms);
    const midnight = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: date.getUTCSeconds(),
      sinceMidnight: us - midnight * 1000, // the time of day, to the microsecond
    };
  }

  // Django's timesince(created, now, depth=1), in UTC as the desk stores its times.
  function age(words, createdUs, nowUs) {
    const zero = () => unwrapped(fill(plural(words.age.minute, 0), { num: 0 }));
    if (Math.floor((nowUs - createdUs) / 1e6) <= 0) return zero();
    const d = utc(createdUs);
    const n = utc(nowUs);
    let months = (n.year - d.year) * 12 + (n.month - d.month);
    if (d.day > n.day || (d.day === n.day && d.sinceMidnight > n.sinceMidnight)) months -= 1;
    const years = Math.floor(months / 12);
    months -= years * 12;
    let pivot = createdUs;
    if (years || months) {
      let year = d.year + years;
      let month = d.month + months;
      if (month > 12) {
        month -= 12;
        year += 1;
      }
      const day = Math.min(MONTHS_DAYS[month - 1], d.day);
      pivot = Date.UTC(year, month - 1, day, d.hour, d.minute, d.second) * 1000;
    }
    let remaining = nowUs - pivot;
    const partials = [years, months];
    for (const chunk of CHUNKS) {
      const count = Math.floor(remaining / (chunk * 1e6));
      partials.push(count);
      remaining -= chunk * 1e6 * count;
    }
    const i = partials.findIndex((value) => value !== 0);
    if (i < 0) return zero();
    return unwrapped(fill(plural(words.age[UNITS[i]], partials[i]), { num: partials[i] }));
  }

  // Django's |time:"H:i" in the desk's time zone.
  function hoursMinutes(ms, zone) {
    const parts = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(new Date(ms));
    const part = (type) => parts.find((each) => each.type === type).value;
    return `${part("hour")}:${part("minute")}`;
  }

  if (typeof module === "object" && module.exports) {
    module.exports = { duration, sla, age, hoursMinutes };
    return;
  }

  let skew = 0; // the server's clock minus this browser's, in ms
  let shown = null; // the minute the texts on screen are as of, in µs
  const minuteNow = () => Math.floor(((Date.now() + skew) * 1000) / US_MINUTE) * US_MINUTE;
  const list = () => {
    const box = document.getElementById("queue");
    return box && box.dataset.clockWords ? box : null;
  };

  function update(force) {
    const box = list();
    if (!box) return;
    const now = minuteNow();
    if (!force && now === shown) return;
    shown = now;
    const words = JSON.parse(box.dataset.clockWords);
    for (const el of box.querySelectorAll('[data-clock="sla"]')) {
      const [band, text] = sla(words, Number(el.dataset.at), now);
      if (el.textContent !== text) el.textContent = text;
      for (const each of ["ok", "due_soon", "breached"]) el.classList.toggle(`sla-${each}`, each === band);
    }
    for (const el of box.querySelectorAll('[data-clock="age"]')) {
      const text = age(words, Number(el.dataset.at), now);
      if (el.textContent !== text) el.textContent = text;
    }
  }

  // A list just rendered by the server: its texts are right, and it says the server's time.
  function rendered() {
    const box = list();
    if (!box) return;
    skew = Number(box.dataset.clockNow) - Date.now();
    update(true);
  }

  // A 304: the list on screen was found still right just now.
  function confirmed() {
    const box = list();
    if (!box) return;
    update(false);
    const words = JSON.parse(box.dataset.clockWords);
    const time = hoursMinutes(minuteNow() / 1000, box.dataset.clockZone);
    const updated = box.querySelector('[data-clock="updated"]');
    if (updated) updated.textContent = fill(words.updatedAt, { time });
  }

  window.deskClock = { confirmed };
  document.addEventListener("DOMContentLoaded", rendered);
  // After any swap: a new list (the refresh's, a filter's, a page's) has its own time.
  let seen = null;
  document.addEventListener("htmx:afterSettle", () => {
    const box = list();
    if (box && box.dataset.clockNow !== seen) {
      seen = box.dataset.clockNow;
      rendered();
    }
  });
  setInterval(() => update(false), 1000);
})();
