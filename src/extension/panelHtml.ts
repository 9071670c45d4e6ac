import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/**
 * The page of a panel: one script (the panel's bundle) allowed by a fresh nonce, styles from the
 * extension only, no remote anything. The nonce comes from the OS's CSPRNG on every render.
 */
export function panelHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  page: { readonly script: string; readonly title: string; readonly waiting: string },
): string {
  const nonce = randomBytes(18).toString('base64');
  const scriptUri = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', page.script));
  const styleUri = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panels.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const esc = (s: string) =>
    s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return `<!DOCTYPE html>
<html lang="${esc(vscode.env.language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${styleUri}">
<title>${esc(page.title)}</title>
</head>
<body>
<div id="root" aria-live="polite"><p class="meta">${esc(page.waiting)}</p></div>
<div id="status" role="status"></div>
<script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}
