import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const settings = pkg.contributes.configuration.properties as Record<string, { scope?: string }>;

test('a folder cannot set the settings that steer SSH and the cluster', () => {
  // knownHostsFiles, identity files, launchers and set-up lines: only the user's own settings.
  assert.equal(settings['corpusLab.clusters'].scope, 'application');
  assert.equal(settings['corpusLab.jobs'].scope, 'application');
});

test('untrusted workspaces: limited support, every folder-level setting restricted, job commands need trust', () => {
  const u = pkg.capabilities?.untrustedWorkspaces;
  assert.equal(u?.supported, 'limited');
  assert.equal(u.description, '%capabilities.untrustedWorkspaces%');
  const folderLevel = Object.entries(settings)
    .filter(([, s]) => s.scope !== 'application' && s.scope !== 'machine')
    .map(([k]) => k)
    .sort();
  assert.deepEqual([...u.restrictedConfigurations].sort(), folderLevel);
  const needTrust = (pkg.contributes.commands as { command: string; enablement?: string }[])
    .filter((c) => c.enablement === 'isWorkspaceTrusted')
    .map((c) => c.command)
    .sort();
  assert.deepEqual(needTrust, [
    'corpusLab.cancelJob',
    'corpusLab.cancelStudy',
    'corpusLab.compareRuns',
    'corpusLab.fetchResults',
    'corpusLab.launchStudy',
    'corpusLab.openJobLog',
    'corpusLab.openTrainingChart',
    'corpusLab.refreshJobs',
    'corpusLab.resubmitJob',
    'corpusLab.revealJobScript',
    'corpusLab.validateStudy',
  ]);
});
