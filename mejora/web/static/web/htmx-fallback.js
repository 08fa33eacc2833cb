// When htmx cannot swap an answer in (a refusal, a missing page, a server error or no
// network), the form is sent the ordinary way, so the person sees the full page that explains.
document.addEventListener("htmx:responseError", (event) => {
  const form = event.detail.elt.closest("form");
  if (form) form.submit();
});
document.addEventListener("htmx:sendError", (event) => {
  const form = event.detail.elt.closest("form");
  if (form) form.submit();
});
