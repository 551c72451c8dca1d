// The console's only script (the Content-Security-Policy allows no other): copy buttons and delete confirmations.
// Every page works without it.
"use strict";
document.addEventListener("click", async (event) => {
  const copy = event.target.closest("button[data-copy]");
  if (copy) {
    const source = document.getElementById(copy.dataset.copy);
    if (!source) return;
    try {
      await navigator.clipboard.writeText(source.textContent);
    } catch {
      // No clipboard (plain HTTP from another host): select the text for Ctrl+C instead.
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    const label = copy.textContent;
    copy.textContent = copy.dataset.copied;
    setTimeout(() => { copy.textContent = label; }, 1500);
    return;
  }
  const confirmed = event.target.closest("button[data-confirm]");
  if (confirmed && !window.confirm(confirmed.dataset.confirm)) {
    event.preventDefault();
  }
});
