// Event script (`js=` of the saved conversation's change): the conversation survives a
// reload of the tab (sessionStorage: per tab, gone when it closes).
(saved) => { try { sessionStorage.setItem('sitrep-conversation', saved); } catch (error) {} }
