import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { LOCAL_FILE_TIMEOUT_MS, LocalTransport } from '../../src/core/cluster/localTransport';
import { SFTP_REQUEST_TIMEOUT_MS } from '../../src/core/cluster/sftp';
import { tempDir } from './helpers';

/**
 * A FIFO with no writer blocks open(2), and one with a silent writer blocks read(2): what a path on
 * a hung NFS mount of a login node does. The `local` profile must give up on it as SFTP would.
 */
const LIMIT_MS = 300;

/** Descriptors of this process open on `file`. */
function descriptorsOn(file: string): string[] {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  });
}

async function until(done: () => boolean, what: string) {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(done(), what);
}

const hung = (what: string, p: string) =>
  `${what} ${p}: no answer from the file system within 0.3 s (is it a FIFO, or on a hung file system?)`;

test('the local deadline is the SFTP one', () => {
  assert.equal(LOCAL_FILE_TIMEOUT_MS, SFTP_REQUEST_TIMEOUT_MS);
});

test('open and read of a FIFO without a writer time out naming the path; the transport goes on', async () => {
  const home = tempDir();
  const fifo = path.join(home, 'hung.log');
  execFileSync('mkfifo', [fifo]);
  writeFileSync(path.join(home, 'ok.txt'), 'fine\n');
  const t = new LocalTransport('login', { home, fileTimeoutMs: LIMIT_MS });
  try {
    const files = await t.files();
    await assert.rejects(files.open(fifo), (e: Error & { code?: string }) => {
      assert.equal(e.message, hung('open', fifo));
      assert.equal(e.code, 'ETIMEDOUT');
      return true;
    });
    await assert.rejects(files.readFile('hung.log'), { message: hung('read', 'hung.log') });
    // Still usable: other files, and commands.
    assert.equal((await files.readFile('ok.txt')).toString(), 'fine\n');
    assert.equal((await files.stat(fifo)).isFile(), false);
    assert.equal((await t.exec(['echo', 'alive'])).stdout, 'alive\n');
    // A writer comes at last: the blocked opens finish, and the one nobody waits for is closed.
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    await until(() => descriptorsOn(fifo).length === 0, 'the late descriptors are closed');
  } finally {
    t.dispose();
  }
});

test('reads of an open descriptor name its path: a FIFO, which has no offsets, fails at once', async () => {
  const home = tempDir();
  const fifo = path.join(home, 'silent');
  execFileSync('mkfifo', [fifo]);
  // A writer that never writes: open succeeds; a read at an offset is refused (ESPIPE), never blocked.
  const writer = openSync(fifo, constants.O_RDWR);
  const t = new LocalTransport('login', { home, fileTimeoutMs: LIMIT_MS });
  try {
    const files = await t.files();
    const handle = await files.open('silent');
    await assert.rejects(files.read(handle, Buffer.alloc(16), 0), { message: 'silent: ESPIPE: invalid seek, read' });
    await files.close(handle);
    assert.deepEqual(descriptorsOn(fifo), [String(writer)]);
  } finally {
    closeSync(writer);
    t.dispose();
  }
});

test('a download from a FIFO times out naming it and leaves no .part file', async () => {
  const home = tempDir();
  const fifo = path.join(home, 'results.csv');
  execFileSync('mkfifo', [fifo]);
  const local = tempDir();
  const t = new LocalTransport('login', { home, fileTimeoutMs: LIMIT_MS });
  try {
    const files = await t.files();
    await assert.rejects(files.download('results.csv', path.join(local, 'results.csv')), {
      message: hung('download', 'results.csv'),
    });
    assert.deepEqual(readdirSync(local), []);
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    await until(() => descriptorsOn(fifo).length === 0, 'the late descriptor is closed');
  } finally {
    t.dispose();
  }
});
