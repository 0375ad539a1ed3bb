import { down, status, up } from './infra';

/**
 * `npm run infra:up | infra:status | infra:down`. Progress goes to stderr; stdout carries only
 * `export NAME=value` lines, so that `eval "$(npm run -s infra:status)"` sets the variables for the
 * commands that follow (`npx hourglass doctor` runs as a child process: plain assignments would
 * not reach it).
 */
async function main(command: string | undefined): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`infra: ${line}\n`);
  switch (command) {
    case 'up': {
      const addresses = await up(log);
      printAddresses(addresses);
      return 0;
    }
    case 'status': {
      const { addresses, missing } = status();
      printAddresses(addresses);
      if (missing.length > 0) log(`not running: ${missing.join(', ')} (start with: npm run infra:up)`);
      return missing.length > 0 ? 1 : 0;
    }
    case 'down':
      await down(log);
      return 0;
    default:
      process.stderr.write('usage: node test/dist/infra/main.js up|status|down\n');
      return 2;
  }
}

function printAddresses(addresses: Record<string, string>): void {
  for (const [name, value] of Object.entries(addresses)) process.stdout.write(`export ${name}=${shellQuote(value)}\n`);
}

/** The value as one POSIX shell word; addresses need no quotes, so they are left bare when safe. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`infra: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
