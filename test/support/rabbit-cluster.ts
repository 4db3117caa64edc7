/**
 * A three-node RabbitMQ cluster of the test's own, from Debian's
 * rabbitmq-server: its own node names, AMQP and distribution ports, data and
 * log directories, and its own Erlang cookie (HOME points at the test's
 * directory), so it shares nothing with the machine's broker but epmd. The
 * nodes start standalone and join the first one, as an operator clusters
 * them with rabbitmqctl; a test can kill any node (SIGKILL of its VM) and
 * start it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, makeTempDir, removeDir, runCommand } from './tmp.js';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const CTL = '/usr/lib/rabbitmq/bin/rabbitmqctl';

export interface RabbitNode {
  readonly name: string;
  readonly port: number;
  readonly index: number;
  readonly running: boolean;
}

export interface RabbitCluster {
  readonly nodes: readonly RabbitNode[];
  /** oslo's form, every node: rabbit://guest:guest@127.0.0.1:p1,guest:guest@127.0.0.1:p2,.../ */
  readonly transportUrl: string;
  /** The node whose AMQP port is `port`. */
  nodeByPort(port: number): RabbitNode;
  /** SIGKILL the node's Erlang VM: a crash, not a shutdown. */
  kill(index: number): Promise<void>;
  start(index: number): Promise<void>;
  /** rabbitmqctl against one node (a running one by default). */
  ctl(args: readonly string[], index?: number): Promise<string>;
  /** The node leading a quorum queue now. */
  leaderOf(queue: string): Promise<RabbitNode>;
  stop(): Promise<void>;
}

interface NodeState {
  name: string;
  port: number;
  distPort: number;
  index: number;
  dir: string;
  child: ChildProcess | null;
}

export async function startRabbitCluster(size = 3): Promise<RabbitCluster> {
  const dir = await makeTempDir('rabbit-cluster');
  const tag = randomUUID().slice(0, 8);
  const cookie = randomBytes(20).toString('hex').toUpperCase();
  await writeFile(join(dir, '.erlang.cookie'), cookie, { mode: 0o400 });
  await chmod(join(dir, '.erlang.cookie'), 0o400);
  const nodes: NodeState[] = [];
  for (let index = 0; index < size; index++) {
    const nodeDir = join(dir, `n${index + 1}`);
    await mkdir(join(nodeDir, 'log'), { recursive: true });
    nodes.push({ name: `nj${index + 1}-${tag}@localhost`, port: await freePort(), distPort: await freePort(), index, dir: nodeDir, child: null });
  }
  const envOf = (node: NodeState): Record<string, string> => ({
    HOME: dir,
    RABBITMQ_NODENAME: node.name,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(node.port),
    RABBITMQ_DIST_PORT: String(node.distPort),
    RABBITMQ_CONFIG_FILE: join(node.dir, 'rabbitmq.conf'),
    RABBITMQ_CONF_ENV_FILE: join(node.dir, 'rabbitmq-env.conf'),
    RABBITMQ_MNESIA_BASE: join(node.dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(node.dir, 'log'),
    RABBITMQ_PID_FILE: join(node.dir, 'pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(node.dir, 'enabled_plugins'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  });
  for (const node of nodes) {
    await writeFile(join(node.dir, 'rabbitmq.conf'), [`listeners.tcp.1 = 127.0.0.1:${node.port}`, 'vm_memory_high_watermark.relative = 0.2', 'log.console = false', ''].join('\n'));
    await writeFile(join(node.dir, 'rabbitmq-env.conf'), '');
    await writeFile(join(node.dir, 'enabled_plugins'), '[].\n');
  }

  const ctl = async (args: readonly string[], node: NodeState): Promise<string> =>
    (await runCommand(CTL, ['-q', '-n', node.name, ...args], { env: envOf(node), cwd: node.dir, timeoutMs: 120_000 })).stdout;
  const boot = async (node: NodeState): Promise<void> => {
    // cwd: the VM writes erl_crash.dump and MnesiaCore files where it runs; a SIGKILL test must not leave them in the repository.
    const child = spawn(SERVER, [], { cwd: node.dir, env: { ...process.env, ...envOf(node) }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    node.child = child;
    child.once('exit', () => (node.child = null));
    // await_startup needs the VM registered with epmd first: until then it fails at once.
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (node.child !== child) throw new Error(`RabbitMQ node ${node.name} exited at start: ${stderr.trim() || `see ${node.dir}/log`}`);
      try {
        await ctl(['await_startup', '--timeout', '60'], node);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };

  // rabbitmq-server is a shell script whose Erlang VM outlives a SIGKILL of
  // the script: the VM's own pid (RABBITMQ_PID_FILE) is what must die.
  const killNode = async (node: NodeState): Promise<void> => {
    const child = node.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const vm = Number((await readFile(join(node.dir, 'pid'), 'utf8').catch(() => '')).trim());
    if (Number.isInteger(vm) && vm > 0) {
      try {
        process.kill(vm, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    child.kill('SIGKILL');
    await exited;
    // The script can die first: wait for the VM too, or its port still answers.
    while (Number.isInteger(vm) && vm > 0 && alive(vm)) await new Promise((r) => setTimeout(r, 50));
  };

  try {
    await Promise.all(nodes.map(boot));
    const [first, ...others] = nodes;
    for (const node of others) {
      await ctl(['stop_app'], node);
      await ctl(['join_cluster', first!.name], node);
      await ctl(['start_app'], node);
    }
  } catch (error) {
    await Promise.all(nodes.map(killNode));
    await removeDir(dir);
    throw error;
  }

  const view = (node: NodeState): RabbitNode => ({ name: node.name, port: node.port, index: node.index, running: node.child !== null });
  const running = () => {
    const node = nodes.find((n) => n.child !== null);
    if (!node) throw new Error('no node of the test cluster is running');
    return node;
  };
  return {
    get nodes() {
      return nodes.map(view);
    },
    transportUrl: `rabbit://${nodes.map((n) => `guest:guest@127.0.0.1:${n.port}`).join(',')}/`,
    nodeByPort(port) {
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`no node of the test cluster listens on ${port}`);
      return view(node);
    },
    kill: (index) => killNode(nodes[index]!),
    async start(index) {
      const node = nodes[index]!;
      if (!node.child) await boot(node);
    },
    ctl: (args, index) => ctl(args, index === undefined ? running() : nodes[index]!),
    async leaderOf(queue) {
      const out = await ctl(['list_queues', '--no-table-headers', 'name', 'leader'], running());
      const line = out.split('\n').find((l) => l.split('\t')[0] === queue);
      const leader = line?.split('\t')[1]?.trim();
      const node = nodes.find((n) => n.name === leader);
      if (!node) throw new Error(`no leader found for ${queue}: ${out}`);
      return view(node);
    },
    async stop() {
      await Promise.all(nodes.map(killNode));
      await removeDir(dir);
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
