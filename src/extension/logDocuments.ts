import * as vscode from 'vscode';
import { followsTail, logDocumentPath } from '../core/jobs/logView';
import type { JobRecord } from '../core/jobs/registry';
import { displayLine } from '../core/logs/displayText';
import type { FollowState } from '../core/logs/logFollower';
import { type FollowView, type SharedFollowers, TAIL_WINDOW } from '../core/logs/sharedFollowers';

export const LOG_SCHEME = 'corpus-lab-log';
/** What a log document keeps in memory; older lines give way (the file on the cluster keeps them). */
const MAX_CHARS = 8_000_000;
/** Many small chunks arrive per second; the editor is told at most four times a second. */
const REDRAW_MS = 250;

interface Followed {
  readonly follower: FollowView;
  lines: string[];
  chars: number;
  dropped: number;
  timer?: NodeJS.Timeout;
}

/**
 * Job logs as read-only documents that follow the file on the cluster live (one `tail -F`
 * channel per open log, at most MAX_FOLLOWS per cluster; more wait their turn). A huge log opens at
 * its tail; the follower resumes at the exact byte after a reconnect, so the document never loses
 * or repeats a line. Control and bidirectional characters are shown, never obeyed (displayText).
 */
export class LogDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly followed = new Map<string, Followed>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[];
  /** Editors that were at the end of their log when it last grew: they are scrolled to its new end. */
  private readonly following = new Map<string, vscode.TextEditor[]>();

  /** Followers are shared with the training charts and Compare Runs: one channel per log, whoever shows it. */
  constructor(private readonly followers: SharedFollowers) {
    const closed = vscode.workspace.onDidCloseTextDocument((d) => {
      if (d.uri.scheme !== LOG_SCHEME) return;
      // Setting the language closes and reopens the document: stop only if it stays closed.
      setTimeout(() => {
        if (vscode.workspace.textDocuments.some((o) => o.uri.toString() === d.uri.toString())) return;
        this.followed.get(d.uri.toString())?.follower.stop();
        this.followed.delete(d.uri.toString());
      }, 2000);
    });
    const grown = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document.uri.scheme !== LOG_SCHEME) return;
      const key = e.document.uri.toString();
      const editors = this.following.get(key);
      this.following.delete(key);
      const end = new vscode.Position(e.document.lineCount - 1, 0);
      for (const editor of editors ?? [])
        if (vscode.window.visibleTextEditors.includes(editor))
          editor.revealRange(new vscode.Range(end, end), vscode.TextEditorRevealType.Default);
    });
    this.subscriptions = [closed, grown];
  }

  static uri(job: JobRecord): vscode.Uri {
    return vscode.Uri.from({ scheme: LOG_SCHEME, path: logDocumentPath(job), query: job.tag });
  }

  async open(job: JobRecord): Promise<void> {
    const uri = LogDocuments.uri(job);
    const key = uri.toString();
    if (!this.followed.has(key)) {
      const follower = this.followers.follow(job.cluster, job.log, { window: TAIL_WINDOW });
      const f: Followed = { follower, lines: [], chars: 0, dropped: 0 };
      this.followed.set(key, f);
      let troubled = false;
      follower.on('skipped', (bytes: number) =>
        this.append(uri, f, [vscode.l10n.t('[Corpus Lab: the first {0} bytes of this log are not shown]', bytes)]),
      );
      follower.on('lines', (lines: string[]) => this.append(uri, f, lines.map(displayLine)));
      follower.on('problem', (e: Error) => {
        troubled = true;
        this.append(uri, f, [vscode.l10n.t('[Corpus Lab: {0}]', displayLine(e.message))]);
      });
      follower.on('state', (s: FollowState) => {
        if (s === 'blocked')
          this.append(uri, f, [
            vscode.l10n.t(
              '[Corpus Lab: waiting until you connect to the cluster again (Corpus Lab: Connect to Cluster)]',
            ),
          ]);
        if (s === 'following' && troubled) {
          troubled = false;
          this.append(uri, f, [vscode.l10n.t('[Corpus Lab: following again from byte {0}]', follower.offset)]);
        }
      });
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'corpus-lab-log');
    await vscode.window.showTextDocument(doc, { preview: false });
  }

  private append(uri: vscode.Uri, f: Followed, lines: string[]) {
    f.lines.push(...lines);
    f.chars += lines.reduce((n, l) => n + l.length + 1, 0);
    // Drop from the head in one splice: shifting line by line is quadratic on a fast log.
    let drop = 0;
    while (f.chars > MAX_CHARS && drop < f.lines.length - 1) f.chars -= f.lines[drop++].length + 1;
    if (drop > 0) {
      f.lines.splice(0, drop);
      f.dropped += drop;
    }
    f.timer ??= setTimeout(() => {
      f.timer = undefined;
      const key = uri.toString();
      const atEnd = vscode.window.visibleTextEditors.filter(
        (e) =>
          e.document.uri.toString() === key &&
          followsTail(
            e.visibleRanges.map((r) => r.end.line),
            e.document.lineCount,
          ),
      );
      if (atEnd.length > 0) this.following.set(key, atEnd);
      this.emitter.fire(uri);
    }, REDRAW_MS);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const f = this.followed.get(uri.toString());
    if (!f) return vscode.l10n.t('[Corpus Lab: this log is not being followed; open it from the Jobs view]');
    const head = f.dropped
      ? [
          vscode.l10n.t(
            '[Corpus Lab: {0} earlier lines dropped from memory; the full log is on the cluster]',
            f.dropped,
          ),
        ]
      : [];
    return [...head, ...f.lines, displayLine(f.follower.pending)].join('\n');
  }

  dispose() {
    for (const f of this.followed.values()) {
      f.follower.stop();
      clearTimeout(f.timer);
    }
    this.followed.clear();
    this.following.clear();
    for (const d of this.subscriptions) d.dispose();
    this.emitter.dispose();
  }
}
