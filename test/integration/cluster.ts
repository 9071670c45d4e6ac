import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { ClusterConnection, type ConnectionHooks, type SshTarget } from '../../src/core/cluster/connection';
import { LocalTransport } from '../../src/core/cluster/localTransport';
import type { ClusterProfile } from '../../src/core/cluster/profile';
import type { ClusterTransport } from '../../src/core/cluster/transport';

/** The loopback cluster started by test/cluster/start.sh, as its cluster.env describes it. */
export interface LoopbackCluster {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly home: string;
  readonly key: string;
  readonly knownHosts: string;
  readonly sshdPidFile: string;
  readonly slurmConf: string;
  readonly jobcomp: string;
  /** Whether slurmdbd keeps accounting (CORPUS_LAB_CLUSTER_ACCOUNTING of start.sh). */
  readonly accounting: boolean;
  /** Seconds squeue keeps a finished job. */
  readonly minJobAge: number;
}

export const CLUSTER_DIR = process.env.CORPUS_LAB_CLUSTER_DIR ?? '/var/lib/corpus-lab-cluster';

export function loopbackCluster(): LoopbackCluster {
  let text: string;
  try {
    text = readFileSync(`${CLUSTER_DIR}/cluster.env`, 'utf8');
  } catch {
    throw new Error(
      `no loopback cluster: run test/cluster/start.sh as root first (looked for ${CLUSTER_DIR}/cluster.env)`,
    );
  }
  const env = Object.fromEntries(
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/=(.*)/s).slice(0, 2)),
  ) as Record<string, string>;
  const need = (k: string) =>
    env[`CORPUS_LAB_CLUSTER_${k}`] ??
    (() => {
      throw new Error(`cluster.env lacks ${k}`);
    })();
  return {
    host: need('HOST'),
    port: Number(need('PORT')),
    user: need('USER'),
    home: need('HOME'),
    key: need('KEY'),
    knownHosts: need('KNOWN_HOSTS'),
    sshdPidFile: need('SSHD_PID'),
    slurmConf: need('SLURM_CONF'),
    jobcomp: need('JOBCOMP'),
    accounting: (env.CORPUS_LAB_CLUSTER_ACCOUNTING ?? '0') === '1',
    minJobAge: Number(env.CORPUS_LAB_CLUSTER_MIN_JOB_AGE ?? 86400),
  };
}

export function target(c: LoopbackCluster, over: Partial<SshTarget> = {}): SshTarget {
  return {
    host: c.host,
    port: c.port,
    username: c.user,
    identityFiles: [c.key],
    jumps: [],
    keepaliveIntervalMs: 2000,
    keepaliveCountMax: 3,
    readyTimeoutMs: 10_000,
    ...over,
  };
}

export function hooks(c: LoopbackCluster, over: Partial<ConnectionHooks> = {}): ConnectionHooks {
  return {
    knownHostsFiles: [c.knownHosts],
    confirmUnknownHost: async () => {
      throw new Error('the test did not expect a host key prompt');
    },
    ...over,
  };
}

export function connection(
  c: LoopbackCluster,
  name = 'loopback',
  t: Partial<SshTarget> = {},
  h: Partial<ConnectionHooks> = {},
): ClusterConnection {
  return new ClusterConnection(name, target(c, t), hooks(c, h));
}

/** Runs a command locally as root (the test's side of the machine: inspecting what the remote did). */
export function local(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8' });
}

/**
 * The transport the parametrized suites (jobs, accounting, fetch, the CLI's study) run over:
 * `CORPUS_LAB_TEST_TRANSPORT=local` runs them with the `local` profile, as on a login node, where
 * the Slurm client commands of the loopback cluster are local too; anything else, over SSH.
 */
export const TRANSPORT: 'ssh' | 'local' = process.env.CORPUS_LAB_TEST_TRANSPORT === 'local' ? 'local' : 'ssh';

/** Where a suite's cluster side lives: the transport, the home directory it starts from, the profile naming it. */
export interface TestHost {
  readonly transport: ClusterTransport;
  readonly home: string;
  readonly profile: ClusterProfile;
  /** What a process running the CLI needs in its environment to reach the same cluster. */
  readonly env: Readonly<Record<string, string>>;
  dispose(): void;
}

/**
 * The cluster as the suite's transport reaches it. Locally the tests run as root, not as the SSH
 * account: the home is a scratch directory under /tmp owned by the runner (jobs get it as $HOME
 * through sbatch's exported environment), removed at the end.
 */
export function testHost(c: LoopbackCluster, name = 'loopback'): TestHost {
  if (TRANSPORT === 'ssh') {
    const transport = connection(c, name);
    return {
      transport,
      home: c.home,
      profile: sshProfile(c, name),
      env: {},
      dispose: () => transport.dispose(),
    };
  }
  const home = mkdtempSync('/tmp/corpus-lab-local-');
  const env = { HOME: home, SLURM_CONF: c.slurmConf };
  const transport = new LocalTransport(name, { home, env });
  return {
    transport,
    home,
    profile: { name, kind: 'local', remoteRoot: 'corpus-lab' },
    env,
    dispose: () => {
      transport.dispose();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The loopback cluster as a `corpusLab.clusters` entry (the README's demo profile). */
export function sshProfile(c: LoopbackCluster, name = 'loopback'): ClusterProfile {
  return {
    name,
    kind: 'ssh',
    host: c.host,
    port: c.port,
    user: c.user,
    identityFiles: [c.key],
    knownHostsFiles: [c.knownHosts],
    useAgent: false,
    keepaliveIntervalSeconds: 15,
    keepaliveCountMax: 4,
    connectTimeoutSeconds: 20,
    remoteRoot: 'corpus-lab',
  };
}
