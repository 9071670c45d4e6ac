import { z } from 'zod';
import {
  type CommonPageMessage,
  dispatch,
  errorMessage,
  exportedMessage,
  type Handlers,
  type Message,
  type PanelProtocol,
  parseMessage,
} from '../../src/protocol/panelProtocol';
import { type Strings, t } from './dom';

/**
 * The one transport of every page: messages from the extension checked against the panel's
 * protocol and given to one handler per type, `ready` said once the page listens, exports and
 * failures shown in the status line, and the page's view kept across hide/show.
 */

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
const common = z.discriminatedUnion('type', [exportedMessage, errorMessage]);

function showStatus(text: string, error = false) {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = text;
  el.className = error ? 'error' : '';
}

const commonHandlers = (strings: () => Strings): Handlers<CommonPageMessage> => ({
  exported: (m) => showStatus(t(strings(), 'Saved {0}', m.file)),
  error: (m) => showStatus(m.message, true),
});

/** The page's way to post to the extension, typed by the panel's protocol. */
export function poster<ToHost extends Message>(_protocol: PanelProtocol<Message, ToHost>): (message: ToHost) => void {
  return (message) => api.postMessage(message);
}

/**
 * Listens for the panel's messages and says `ready`. Anything that fails validation is reported in
 * the console, never acted on.
 */
export function listen<ToPage extends Message>(
  protocol: PanelProtocol<ToPage, Message>,
  handlers: Handlers<ToPage>,
  strings: () => Strings = () => ({}),
) {
  const shared = commonHandlers(strings);
  window.addEventListener('message', (event: MessageEvent) => {
    const data: unknown = event.data;
    const isCommon = common.safeParse(data);
    if (isCommon.success) return dispatch(shared, isCommon.data);
    const parsed = parseMessage(protocol.toPage, data);
    if (!parsed.ok) {
      console.error(`corpus-lab: ignored an invalid message from the extension: ${parsed.error}`);
      return;
    }
    dispatch(handlers, parsed.message);
  });
  // The extension sends data only after this, so nothing is posted into a page that is not listening.
  api.postMessage({ type: 'ready' });
}

/** The view saved by an earlier incarnation of this page (hide/show recreates it), or the defaults. */
export function loadState<S>(schema: z.ZodType<S, z.ZodTypeDef, unknown>): S {
  const r = schema.safeParse(api.getState() ?? {});
  return r.success ? r.data : schema.parse({});
}

export function saveState<S>(state: S) {
  api.setState(state);
}
