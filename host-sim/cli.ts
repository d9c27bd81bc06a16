// The `mi32` command line: host simulator entry point.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createNodeAes } from './crypto.js';
import { decodeJsonlStream, decodeOne } from './decode-command.js';
import { RUN_USAGE, runCommand, RunUsageError } from './run-command.js';
import { DEVICES_USAGE, devicesCommand, DevicesUsageError } from './devices-command.js';

const DECODE_USAGE = `  mi32 decode HEX [--mac MAC] [--uuid UUID] [--key KEY] [--ad]
      HEX is service data for --uuid: fe95 MiBeacon (default), fcd2 BTHome, 181a ATC/pvvx,
      fdcd Qingping, 181d / 181b Xiaomi scales, fd50 HHCCJCY10; with --ad it is a whole
      advertising payload (AD structures). KEY: 32 hex (24 for legacy v2/v3), or
      Tasmota's MI32Key form with the MAC appended (44/36 hex).
  mi32 decode --jsonl < lines
      one {"mac","uuid","data","key"} (or {"mac","ad","key"}) object per line in,
      one result per line out; a line that cannot be decoded gives {"error": ...}.
`;

const USAGE = `usage:
${DECODE_USAGE}${RUN_USAGE}${DEVICES_USAGE}  mi32 --version
  --debug (with any command): a runtime failure also prints its stack trace.
`;

/** Per command: its usage text, printed by `mi32 <command> --help`. */
const COMMAND_USAGE: Record<string, string> = { decode: `usage:\n${DECODE_USAGE}`, run: `usage:\n${RUN_USAGE}`, devices: `usage:\n${DEVICES_USAGE}` };

/** `--help` / `-h` before a lone `--` asks for help, wherever it stands. */
function asksForHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

function packageVersion(): string {
  // dist/host-sim/cli.js -> package.json at the root
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

class UsageError extends Error {}

async function decodeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      mac: { type: 'string' },
      uuid: { type: 'string' },
      key: { type: 'string' },
      ad: { type: 'boolean' },
      jsonl: { type: 'boolean' },
    },
  });
  const aes = createNodeAes();
  if (values.jsonl) {
    if (positionals.length) throw new UsageError('--jsonl reads stdin; give no HEX argument');
    await decodeJsonlStream(process.stdin, process.stdout, aes);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('decode needs exactly one HEX argument (or --jsonl)');
  const hex = positionals[0]!;
  const req = values.ad
    ? { mac: values.mac, ad: hex, key: values.key }
    : { mac: values.mac, uuid: values.uuid, data: hex, key: values.key };
  process.stdout.write(decodeOne(req, aes) + '\n');
  return 0;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  decode: decodeCommand,
  run: runCommand,
  devices: (args) => devicesCommand(args),
};

export async function main(argv: string[]): Promise<number> {
  // --debug (anywhere before a lone "--"): a runtime failure also shows its stack trace.
  const end = argv.indexOf('--');
  const debug = argv.slice(0, end < 0 ? argv.length : end).includes('--debug');
  const [command, ...rest] = debug ? argv.filter((a, i) => a !== '--debug' || (end >= 0 && i > end)) : argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`mi32 ${packageVersion()}\n`);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`mi32: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  if (asksForHelp(rest)) {
    process.stdout.write(COMMAND_USAGE[command]!);
    return 0;
  }
  try {
    return await run(rest);
  } catch (e) {
    // parseArgs throws TypeErrors with codes for unknown or malformed options
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || e instanceof RunUsageError || e instanceof DevicesUsageError || err.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`mi32 ${command}: ${oneLine(err.message)}\n${COMMAND_USAGE[command]}`);
      return 2;
    }
    // A runtime failure: one line, no stack trace (it could carry a broker URL or a file's text).
    process.stderr.write(`mi32 ${command}: ${oneLine(err instanceof Error ? err.message : String(e))}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(redact(err.stack) + '\n');
    return 1;
  }
}

/** The password of any URL in `text` shown as *** (redacting twice changes nothing). */
function redact(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]*@/gi, '$1***@');
}

/** One line, redacted, at most 500 characters. */
function oneLine(text: string): string {
  return redact(text.replace(/\s*\n\s*/g, ' ')).slice(0, 500);
}
