// Event script (`js=` of the page's load): the conversation this tab saved, if any. The
// second input, the conversation State, is the server's: the page passes it on as is.
(saved, state) => {
  try { return [sessionStorage.getItem('sitrep-conversation') || '', state]; }
  catch (error) { return ['', state]; }
}
