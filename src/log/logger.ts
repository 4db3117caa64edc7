import winston from 'winston';
import { redactText, redactValue } from './redact.js';

export type Logger = winston.Logger;

export interface LoggerOptions {
  readonly debug?: boolean;
  readonly format?: 'auto' | 'json' | 'text';
  /** Where records go; standard output by default (the journal under systemd). */
  readonly stream?: NodeJS.WritableStream;
  readonly service?: string;
}

/** Winston format that scrubs every field of every record (see redact.ts). */
const redact = winston.format((info) => {
  const symbols = Object.getOwnPropertySymbols(info);
  const clean = redactValue({ ...info }) as Record<string, unknown>;
  for (const key of Object.keys(info)) delete (info as Record<string, unknown>)[key];
  Object.assign(info, clean);
  for (const symbol of symbols) {
    const value = (info as unknown as Record<symbol, unknown>)[symbol];
    if (typeof value === 'string') (info as unknown as Record<symbol, unknown>)[symbol] = redactText(value);
  }
  return info;
});

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stdout;
  const tty = Boolean((stream as NodeJS.WriteStream).isTTY);
  const text = options.format === 'text' || (options.format !== 'json' && tty);
  // winston runs every format before its transports drop records below the
  // level, so each debug line was redacted and serialised for nothing (a
  // FreeIPA call logs one): drop those first. A falsy info ends the chain.
  let logger: winston.Logger | undefined;
  const enabled = winston.format((info) => (!logger || logger.isLevelEnabled(info.level) ? info : false));
  const formats = [enabled(), winston.format.errors({ stack: true }), redact(), winston.format.timestamp()];
  const format = text
    ? winston.format.combine(
        ...formats,
        winston.format.printf(({ timestamp, level, message, service, ...rest }) => {
          const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
          return `${String(timestamp)} ${level.toUpperCase()} ${String(service ?? '')} ${String(message)}${extra}`;
        }),
      )
    : winston.format.combine(...formats, winston.format.json());
  logger = winston.createLogger({
    level: options.debug ? 'debug' : 'info',
    defaultMeta: options.service ? { service: options.service } : undefined,
    format,
    transports: [new winston.transports.Stream({ stream })],
  });
  return logger;
}

/** A logger that drops everything: for library use and quiet tests. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
