// The due date of an activity as the server reads it, shown while it is typed. The page
// still shows the reading before saving without JavaScript: this only shows it sooner.
(function () {
  const form = document.querySelector("form[data-reading-url]");
  if (!form) return;
  const input = form.querySelector(".due-input");
  const shown = form.querySelector(".due-reading");
  if (!input || !shown) return;
  let timer = null;
  async function read() {
    const text = input.value.trim();
    if (!text) {
      shown.textContent = "";
      return;
    }
    try {
      const url = form.dataset.readingUrl + "?texto=" + encodeURIComponent(text);
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const reading = await response.json();
      shown.textContent = reading.message; // worded by the server, in the person's language
    } catch (error) {
      // Without an answer the page keeps its own reading, shown after the first submit.
    }
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(read, 300);
  });
})();
