import * as vscode from 'vscode';
import { parseSettings, type Settings, settingsSchema } from '../core/settings';
import { Disposable } from './dispose';

const SECTION = 'corpusLab';
type SettingKey = keyof Settings;
const KEYS = Object.keys(settingsSchema.shape) as SettingKey[];

/**
 * The `corpusLab.*` settings, read through the core's zod schema: a bad value is named once in a
 * warning and its default used. Live: the values are read again after every change, and
 * `onDidChange` says which keys changed, for those that must act on it (the recipe glob).
 */
export class SettingsStore extends Disposable {
  private cached: Settings | undefined;
  /** Each invalid value is reported once, not at every read. */
  private readonly reported = new Set<string>();
  private readonly changed = this.own(new vscode.EventEmitter<ReadonlySet<SettingKey>>());
  readonly onDidChange = this.changed.event;

  constructor() {
    super();
    this.own(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(SECTION)) return;
        this.cached = undefined;
        this.changed.fire(new Set(KEYS.filter((k) => e.affectsConfiguration(`${SECTION}.${k}`))));
      }),
    );
  }

  get(): Settings {
    if (this.cached) return this.cached;
    const { settings, problems } = parseSettings(
      vscode.workspace.getConfiguration(SECTION) as unknown as Record<string, unknown>,
    );
    for (const p of problems) {
      if (this.reported.has(p)) continue;
      this.reported.add(p);
      void vscode.window.showWarningMessage(vscode.l10n.t('Invalid setting: {0}', p));
    }
    this.cached = settings;
    return settings;
  }
}
