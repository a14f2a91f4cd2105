import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startCdrWriter } from './cdr/index';
import { parseConfig, type Config } from './config';
import { ConfigError } from './errors';
import { createLogger } from './logger';
import { CallEvents } from './events';
import { startSbc, type Sbc } from './sbc';

/**
 * `tsx reference-sbc/src/main.ts --config sbc.yaml` (or SBC_CONFIG=sbc.yaml): reads the config
 * once, starts the SBC, logs JSON lines to stdout and stops cleanly on SIGTERM/SIGINT.
 * Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration or usage.
 */
function loadConfig(): Config {
  let path: string | undefined;
  try {
    const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } }, strict: true });
    path = values.config ?? process.env.SBC_CONFIG;
  } catch (err) {
    throw new ConfigError(`usage: main.ts --config <file.yaml> (${(err as Error).message})`);
  }
  if (path === undefined) throw new ConfigError('usage: main.ts --config <file.yaml> (or set SBC_CONFIG)');
  if (!existsSync(path)) throw new ConfigError(`config: ${path}: file not found`);
  return parseConfig(readFileSync(path, 'utf8'), path);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const log = createLogger(config.log.level);
  const events = new CallEvents();
  // The CDR writer subscribes before the first call can arrive, so no attempt goes unrecorded.
  const cdr = config.cdr ? await startCdrWriter(config.cdr, events, log.child({ layer: 'cdr' })) : undefined;
  let sbc: Sbc;
  try {
    sbc = await startSbc(config, { log, events });
  } catch (err) {
    await cdr?.close();
    throw err;
  }
  if (cdr) {
    // A record the database refused, or one that could not be spooled, must be visible to whoever
    // watches the SBC (issue 11 point 4); the writer logs each at error level as well.
    sbc.metrics.gauge('sbc_cdr_records', 'CDR records by state since start (written, rejected by the database, lost, pending in the spool)', () => {
      const s = cdr.stats();
      return (['written', 'rejected', 'lost', 'pending'] as const).map((state) => ({ labels: { state }, value: s[state] }));
    });
  }

  // A bug in one call's asynchronous path is logged; it must not end every other call.
  process.on('unhandledRejection', (err) => log.error('unhandled rejection', { err }));

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    // Calls are ended (and their `ended` events emitted) before the CDR writer flushes.
    await sbc.close();
    await cdr?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`sbc failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
