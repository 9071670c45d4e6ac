import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeExport } from '../core/report/exportFile';
import {
  type CommonPageMessage,
  dispatch,
  type Handlers,
  type Message,
  type PanelProtocol,
  parseMessage,
  readyMessage,
} from '../protocol/panelProtocol';
import { panelHtml } from './panelHtml';

/**
 * The one host of every webview panel: the page (CSP, nonce, the page's bundle), the ready gate,
 * messages checked on receipt and given to one handler per type, failures relayed to the page and
 * the user, exports written the same way for every panel, restore after a reload, and dispose.
 * A panel is a descriptor (below) plus its handlers; its page is one script in webview/.
 */

/** What is fixed about a kind of panel. */
export interface PanelDescriptor<ToPage extends Message, ToHost extends Message> {
  /** The view type VS Code restores panels by (also an `onWebviewPanel:` activation event). */
  readonly viewType: string;
  /** The page's bundle, in dist/webview/ (built from webview/<name>.ts). */
  readonly script: string;
  readonly protocol: PanelProtocol<ToPage, ToHost>;
  /** The page's text until its data comes. */
  waiting(): string;
}

/** What every panel needs from the extension. */
export interface PanelContext {
  readonly extensionUri: vscode.Uri;
  readonly log: vscode.LogOutputChannel;
  /** Where exports go; undefined asks the user. */
  readonly exportDir: () => vscode.Uri | undefined;
}

/**
 * The handlers of one panel: `ready` (send the page everything it shows; it comes again whenever
 * the page is rebuilt, e.g. shown after being hidden) and one per message type of the page.
 */
export type PanelHandlers<ToPage extends Message, ToHost extends Message> = Handlers<
  ToHost,
  [Panel<ToPage, ToHost>],
  Promise<void> | void
> & {
  ready(panel: Panel<ToPage, ToHost>): Promise<void> | void;
};

/** An open panel: posts to its page once the page is listening. */
export class Panel<ToPage extends Message, ToHost extends Message> implements vscode.Disposable {
  private listening = false;
  private disposed = false;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly webviewPanel: vscode.WebviewPanel,
    private readonly descriptor: PanelDescriptor<ToPage, ToHost>,
    private readonly context: PanelContext,
    private readonly handlers: PanelHandlers<ToPage, ToHost>,
  ) {
    const { webview } = webviewPanel;
    webview.options = webviewOptions(context.extensionUri);
    webviewPanel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'corpus-lab.svg');
    webview.html = panelHtml(webview, context.extensionUri, {
      script: descriptor.script,
      title: webviewPanel.title,
      waiting: descriptor.waiting(),
    });
    this.subscriptions.push(
      this.disposeEmitter,
      webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)),
      // A hidden page is torn down; it says `ready` again when shown, and gets everything anew then.
      webviewPanel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.listening = false;
      }),
      webviewPanel.onDidDispose(() => this.dispose()),
    );
  }

  get title(): string {
    return this.webviewPanel.title;
  }

  /** Sends a message once the page listens; before that it is dropped (`ready` sends the whole state). */
  post(message: ToPage): Thenable<boolean> {
    return this.send(message);
  }

  reveal() {
    this.webviewPanel.reveal();
  }

  /** Writes an export into the export folder (or one the user picks), and says so on the page and in a notice. */
  async saveExport(stem: string, ext: string, content: string | Uint8Array) {
    let dir = this.context.exportDir()?.fsPath;
    if (!dir) {
      const picked = await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        openLabel: vscode.l10n.t('Export here'),
      });
      if (!picked?.[0]) return;
      dir = picked[0].fsPath;
    }
    const file = await writeExport(dir, stem, ext, content);
    this.context.log.info(`exported ${file}`);
    await this.send({ type: 'exported', file: path.basename(file) });
    const open = vscode.l10n.t('Open');
    void vscode.window
      .showInformationMessage(vscode.l10n.t('Exported {0}', vscode.workspace.asRelativePath(file)), open)
      .then((choice) => {
        if (choice === open) void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
      });
  }

  /** Tells the page (status line) and the log; the caller decides whether the user needs a notice too. */
  showError(message: string): Thenable<boolean> {
    this.context.log.error(`${this.title}: ${message}`);
    return this.send({ type: 'error', message });
  }

  private send(message: ToPage | CommonPageMessage): Thenable<boolean> {
    if (!this.listening || this.disposed) return Promise.resolve(false);
    return this.webviewPanel.webview.postMessage(message);
  }

  private async receive(raw: unknown) {
    try {
      if (readyMessage.safeParse(raw).success) {
        this.listening = true;
        await this.handlers.ready(this);
        return;
      }
      const parsed = parseMessage(this.descriptor.protocol.toHost, raw);
      if (!parsed.ok) {
        this.context.log.warn(`ignored an invalid message from the panel "${this.title}": ${parsed.error}`);
        return;
      }
      await dispatch<ToHost, [Panel<ToPage, ToHost>], Promise<void> | void>(this.handlers, parsed.message, this);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      void this.showError(message);
      void vscode.window.showErrorMessage(message);
    }
  }

  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    this.listening = false;
    this.disposeEmitter.fire();
    for (const d of this.subscriptions) d.dispose();
    this.webviewPanel.dispose();
  }
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [
      vscode.Uri.joinPath(extensionUri, 'dist', 'webview'),
      vscode.Uri.joinPath(extensionUri, 'media'),
    ],
  };
}

/** A new panel of the descriptor's kind. */
export function openPanel<ToPage extends Message, ToHost extends Message>(
  descriptor: PanelDescriptor<ToPage, ToHost>,
  context: PanelContext,
  options: { readonly title: string; readonly column: vscode.ViewColumn },
  handlers: PanelHandlers<ToPage, ToHost>,
): Panel<ToPage, ToHost> {
  const webviewPanel = vscode.window.createWebviewPanel(
    descriptor.viewType,
    options.title,
    options.column,
    webviewOptions(context.extensionUri),
  );
  return new Panel(webviewPanel, descriptor, context, handlers);
}

/**
 * Brings back the descriptor's panels after a window reload: `restore` gets each restored panel
 * and the state its page saved (getState), and attaches it or disposes it.
 */
export function registerPanelSerializer<ToPage extends Message, ToHost extends Message>(
  descriptor: PanelDescriptor<ToPage, ToHost>,
  restore: (webviewPanel: vscode.WebviewPanel, state: unknown) => Promise<void> | void,
): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(descriptor.viewType, {
    deserializeWebviewPanel: async (webviewPanel, state: unknown) => restore(webviewPanel, state),
  });
}
