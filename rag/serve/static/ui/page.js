// The page script (`js` of gr.mount_gradio_app: a function Gradio calls once on load).
// An [n] link in an answer opens source n of that answer. Clicking the reply also makes the
// chatbot bring its sources back, so wait (briefly) until its list is shown.
() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#cite-"]');
    const found = link && link.getAttribute('href').match(/^#cite-([\w-]+)-(\d+)$/);
    if (!found) return;
    event.preventDefault();
    const until = Date.now() + 5000;
    const open = () => {
      const list = document.querySelector(`.sitrep-sources[data-key="${found[1]}"]`);
      const button = list && list.querySelector(`button[data-n="${found[2]}"]`);
      if (button) button.click();
      else if (Date.now() < until) setTimeout(open, 100);
    };
    open();
  }, true);
}
