// cvety-crm staff pages: the only script. Pages work without it; it only makes a button say
// "⏳ Обработка..." and lock while its form is being sent, and the ticket's print button print.
document.addEventListener("submit", (event) => {
  const button = event.submitter || event.target.querySelector("button[type=submit]");
  if (!button || !button.dataset.busy) return;
  if (button.getAttribute("aria-disabled") === "true") { event.preventDefault(); return; }
  button.textContent = button.dataset.busy;
  button.setAttribute("aria-disabled", "true");
  button.setAttribute("aria-busy", "true");
  button.classList.add("busy");
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
