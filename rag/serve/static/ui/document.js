// The document pane (gr.HTML js_on_load: `element` and `watch` are Gradio's).
// After the document re-renders, fit the pane to the window below its top (at least 240 px;
// 70% of the window when it starts below it, on a narrow screen), scroll the pane (not the
// page) to the chosen sentence and focus the sentence for keyboard and screen-reader users.
// The page itself scrolls only when no part of the pane is on screen.
const reveal = () => {
  const pane = element.querySelector('.sitrep-doc-body');
  if (!pane) return;
  const room = window.innerHeight - pane.getBoundingClientRect().top - 40;
  pane.style.maxHeight = Math.round(room >= 240 ? room
                                    : Math.max(240, window.innerHeight * 0.7)) + 'px';
  const mark = pane.querySelector('#sitrep-selected');
  if (!mark) return;
  pane.scrollTop += mark.getBoundingClientRect().top - pane.getBoundingClientRect().top
                    - pane.clientHeight / 3;
  const box = pane.getBoundingClientRect();
  if (box.bottom <= 0 || box.top >= window.innerHeight) pane.scrollIntoView({block: 'start'});
  mark.focus({preventScroll: true});
};
watch('value', reveal);
reveal();
