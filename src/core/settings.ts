import { z } from 'zod';
import { clusterProfilesSchema } from './cluster/profile';
import { jobSettingsSchema } from './jobs/studyLaunch';
import { describeIssue } from './validation';

/** Settings under `corpusLab.*`, validated: a bad value is named and its default used instead. */
export const settingsSchema = z.object({
  dataRoot: z.string().default(''),
  recipeGlob: z.string().min(1).default('**/*.recipe.yaml'),
  /** The study the analysis panels open: a directory; empty means the first in the workspace, else the embedded paper study. */
  study: z.string().default(''),
  /** Where panel exports are written, relative to the first workspace folder. */
  exportFolder: z.string().min(1).default('exports'),
  /** Cluster profiles (host alias or name, user, identities, ProxyJump…), overriding ~/.ssh/config. */
  clusters: clusterProfilesSchema.default([]),
  /** The cluster whose `dataRoot` holds the recipes' Megatron datasets, for remote token counts. */
  dataCluster: z.string().default(''),
  /** Launchers, environment set-up, resources and defaults of the job templates. */
  jobs: jobSettingsSchema.default({}),
});
export type Settings = z.infer<typeof settingsSchema>;

export function parseSettings(raw: Record<string, unknown>): { settings: Settings; problems: string[] } {
  const problems: string[] = [];
  const clean: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(settingsSchema.shape)) {
    const r = field.safeParse(raw[key]);
    if (r.success) clean[key] = r.data;
    else
      problems.push(
        ...r.error.issues.map(
          (i) =>
            `corpusLab.${describeIssue({ ...i, path: [key, ...i.path] }, valueAt(raw[key], i.path)).replace(/^"([^"]+)"/, '$1')}`,
        ),
      );
  }
  return { settings: settingsSchema.parse(clean), problems };
}

/** The value an issue is about, for its message: the field itself, not the whole setting. */
function valueAt(value: unknown, at: readonly (string | number)[]): unknown {
  return at.reduce<unknown>(
    (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined),
    value,
  );
}
