// Keyboard shortcuts ("/" for the search, "?" for the list, the ticket page's keys):
// static/desk/shortcuts.js.

// Progress bars take their width from data-width: the Content-Security-Policy allows no
// style="" attribute, but a script of the desk's may set a width (issue 12).
document.addEventListener("htmx:load", (event) => {
  for (const bar of event.detail.elt.querySelectorAll("[data-width]")) {
    bar.style.width = `${Number(bar.dataset.width) || 0}%`;
  }
});
