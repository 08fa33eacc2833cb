// The bar of a reading or an import running in the background: ask how far it has come,
// and show the result page when it ends. Without JavaScript the page refreshes itself.
(function () {
  const job = document.querySelector(".job[data-progress-url]");
  if (!job) return;
  const bar = job.querySelector(".job-bar");
  const text = job.querySelector(".job-text");
  // Numbers and words in the page's language, as the server wrote the rest of it.
  const number = new Intl.NumberFormat(document.documentElement.lang || "es-MX");
  const of = " " + (job.dataset.of || "de") + " ";
  async function poll() {
    let state;
    try {
      const response = await fetch(job.dataset.progressUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(response.status);
      state = await response.json();
    } catch (error) {
      setTimeout(poll, 2000);
      return;
    }
    bar.value = state.percent;
    bar.textContent = state.percent + " %";
    const count = state.total ? " (" + number.format(state.done) + of + number.format(state.total) + ")" : "";
    text.textContent = state.stage + " · " + state.percent + " %" + count;
    if (state.finished || state.lost) {
      window.location.reload();
    } else {
      setTimeout(poll, 700);
    }
  }
  setTimeout(poll, 300);
})();
