// Prism, loaded only with the Files pane (its own chunk). `manual` stops it from highlighting
// the page by itself and `disableWorkerMessageHandler` from listening to messages: band calls
// `Prism.tokenize` and builds React elements from the tokens, so no HTML string is ever made.
// The language files assign to the global `Prism`, hence the global set before they load.

(globalThis as { Prism?: unknown }).Prism = { manual: true, disableWorkerMessageHandler: true };
