// Event script (`js=` of the Copy button): the answer and its sources to the clipboard.
// The clipboard API needs a secure context; plain-http intranet hosts fall back to execCommand.
async (text) => {
  if (text) {
    try { await navigator.clipboard.writeText(text); }
    catch (error) {
      const area = document.createElement('textarea');
      area.value = text; document.body.appendChild(area); area.select();
      document.execCommand('copy'); area.remove();
    }
  }
  return [text];
}
