import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { localProfileName, localProfileOffer } from '../../src/core/cluster/localTransport';
import { tempDir } from './helpers';

/**
 * When the editor offers a `local` profile (src/extension/localProfileOffer.ts asks these): in a
 * Remote-SSH window on a machine with Slurm's sbatch on the path, once, unless one exists or the
 * user declined for good.
 */
function slurmBin(): string {
  const bin = path.join(tempDir(), 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'sbatch'), '#!/bin/sh\n');
  chmodSync(path.join(bin, 'sbatch'), 0o755);
  return bin;
}

test('offered in a remote window where sbatch is on the path, naming where it is', async () => {
  const bin = slurmBin();
  const pathVar = `/nonexistent${path.delimiter}${bin}`;
  const ssh = [{ name: 'hpc', kind: 'ssh' }];
  assert.equal(await localProfileOffer('ssh-remote', ssh, false, pathVar), path.join(bin, 'sbatch'));
  // A local window: the cluster is reached over SSH, nothing to offer.
  assert.equal(await localProfileOffer(undefined, ssh, false, pathVar), undefined);
  assert.equal(await localProfileOffer('', ssh, false, pathVar), undefined);
  // Already there, or declined for good.
  assert.equal(
    await localProfileOffer('ssh-remote', [...ssh, { name: 'x', kind: 'local' }], false, pathVar),
    undefined,
  );
  assert.equal(await localProfileOffer('ssh-remote', ssh, true, pathVar), undefined);
  // No Slurm on this machine (a remote container, say).
  assert.equal(await localProfileOffer('dev-container', ssh, false, '/nonexistent'), undefined);
});

test('the offered name is login-node, or the first login-node-N not taken', () => {
  assert.equal(localProfileName([]), 'login-node');
  assert.equal(localProfileName([{ name: 'hpc' }]), 'login-node');
  assert.equal(localProfileName([{ name: 'login-node' }, { name: 'login-node-3' }]), 'login-node-2');
  assert.equal(localProfileName([{ name: 'login-node' }, { name: 'login-node-2' }]), 'login-node-3');
});
