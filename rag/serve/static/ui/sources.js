// The sources list (gr.HTML js_on_load: `element`, `trigger` and `watch` are Gradio's).
// Sources are plain <button>s; a click becomes a `select` event carrying [n].
// When the list re-renders, scroll it (not the page) to the current source.
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-n]');
  if (button) trigger('select', {index: Number(button.dataset.n), value: button.dataset.n});
});
watch('value', () => {
  const card = element.querySelector('[aria-current="true"]');
  const list = card && card.closest('.sitrep-sources');
  if (list) list.scrollTop += card.getBoundingClientRect().top
                             - list.getBoundingClientRect().top - 4;
});
