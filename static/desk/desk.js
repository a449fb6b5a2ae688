// Keyboard first: "/" focuses the customer search from anywhere on the desk.
document.addEventListener("keydown", (event) => {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
  if (event.key === "/" && !typing) {
    const search = document.querySelector("input[type=search]");
    if (search) { event.preventDefault(); search.focus(); }
  }
});

// Progress bars take their width from data-width: the Content-Security-Policy allows no
// style="" attribute, but a script of the desk's may set a width (issue 12).
document.addEventListener("htmx:load", (event) => {
  for (const bar of event.detail.elt.querySelectorAll("[data-width]")) {
    bar.style.width = `${Number(bar.dataset.width) || 0}%`;
  }
});
