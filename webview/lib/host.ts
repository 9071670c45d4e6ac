import {
  type HostMessage,
  hostMessage,
  parseMessage,
  type ViewState,
  viewState,
  type WebviewMessage,
} from '../../src/protocol/panels';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function post(message: WebviewMessage) {
  api.postMessage(message);
}

type Handlers = { [K in HostMessage['type']]: (message: Extract<HostMessage, { type: K }>) => void };

/** One handler per message type; anything that fails validation is reported, never acted on. */
export function listen(handlers: Handlers) {
  window.addEventListener('message', (event: MessageEvent) => {
    const parsed = parseMessage(hostMessage, event.data);
    if (!parsed.ok) {
      console.error(`corpus-lab: ignored an invalid message from the extension: ${parsed.error}`);
      return;
    }
    const m = parsed.message;
    (handlers[m.type] as (m: HostMessage) => void)(m);
  });
  // The extension sends data only after this, so nothing is posted into a page that is not listening.
  post({ type: 'ready' });
}

/** The view state saved by an earlier incarnation of this panel (hide/show recreates the page). */
export function loadState(): ViewState {
  const r = viewState.safeParse(api.getState() ?? {});
  return r.success ? r.data : viewState.parse({});
}

export function saveState(state: ViewState) {
  api.setState(state);
}

function showStatus(text: string, error = false) {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = text;
  el.className = error ? 'error' : '';
}

/** The analysis panels' handlers: the study to show, and export/error notices in the status line. */
export function listenForStudy(
  onStudy: (m: Extract<HostMessage, { type: 'study' }>) => void,
  strings: () => Record<string, string>,
) {
  listen({
    study: onStudy,
    exported: (m) => showStatus((strings()['Saved {0}'] ?? 'Saved {0}').replace('{0}', m.file)),
    error: (m) => showStatus(m.message, true),
  });
}
