/**
 * A JSON-RPC client of the emulator that skips HTTP: each call is encoded,
 * run by the engine and decoded with the same codec the real client uses, so
 * `novajoin dev` exercises the real wire format with no network and no
 * Kerberos.
 */
import { batchCommand, decodeBatch, decodeReply, encodeCall, type BatchItem } from '../freeipa/codec.js';
import { ping, type IpaCommand } from '../freeipa/commands.js';
import type { RpcClient } from '../freeipa/directory.js';
import type { Engine } from './engine.js';

export class InProcessRpc implements RpcClient {
  constructor(
    private readonly engine: Engine,
    private readonly principal: string,
    private readonly apiVersion = '2.230',
  ) {}

  async call<T>(command: IpaCommand<T>): Promise<T> {
    const reply = await this.engine.handleJson(encodeCall(command, this.apiVersion), { principal: this.principal });
    return decodeReply(JSON.stringify(reply), command.method) as T;
  }

  async batch(commands: readonly IpaCommand<unknown>[]): Promise<BatchItem[]> {
    if (commands.length === 0) return [];
    return decodeBatch(await this.call(batchCommand(commands)), commands.length);
  }

  async ping(): Promise<string> {
    return (await this.call(ping())).summary;
  }
}
