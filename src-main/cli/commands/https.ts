/** `dusty https`: the local CA behind the router's https URLs. */
import type { Command } from 'commander';
import type { TrustOutcome } from '../../engine/tls/service.js';
import { outsideMessage } from '../../engine/tls/router-tls.js';
import { getDusty } from '../context.js';
import { bold, green, printJson, yellow } from '../output.js';

/** `failUntrusted`: exit 1 when the CA could not be trusted (for `trust`, whose whole job it is). */
function printTrust(t: TrustOutcome, failUntrusted = true): void {
  if (t.how === 'manual') {
    console.log(
      "The privileged helper is not installed (`dusty setup` installs it). To trust Dusty's CA without it, run:",
    );
    console.log(`  ${bold(t.command)}`);
    if (failUntrusted) process.exitCode = 1;
    return;
  }
  console.log(green(`✔ Dusty's CA is trusted in: ${t.stores.join(', ')}`));
  for (const s of t.skipped) console.log(yellow(`  not done: ${s}`));
}

export function registerHttpsCommands(program: Command): void {
  const https = program
    .command('https')
    .description("the local certificate authority behind the router's https URLs");
  https
    .command('ca')
    .description(
      'print the CA certificate (PEM) for tools that need it; makes the CA if there is none',
    )
    .action(async () => {
      process.stdout.write((await getDusty().https.ca()).pem);
    });
  https
    .command('status')
    .description('the CA, the names it may sign for, and whether it is trusted')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const s = await getDusty().https.status();
      const on = s.enabled;
      if (opts.json)
        return printJson({
          enabled: on,
          caFile: s.caFile,
          trusted: s.trusted,
          outside: s.outside,
          ca: s.ca && { ...s.ca, pem: undefined },
        });
      console.log(`https: ${on ? 'on' : 'off (dusty config set https true)'}`);
      if (!s.ca) return console.log('CA: none yet (the first `dusty up` with https makes it)');
      console.log(`CA: ${s.ca.subject} (${s.caFile})`);
      console.log(`SHA-256: ${s.ca.fingerprint}`);
      console.log(`may sign for: ${s.ca.permitted.join(', ')} (and no IP address)`);
      console.log(`valid until: ${s.ca.notAfter.toISOString().slice(0, 10)}`);
      console.log(`trusted: ${s.trusted ? green('yes') : yellow('no (dusty https trust)')}`);
      if (s.outside.length) console.log(yellow(outsideMessage(s.outside, s.ca)));
    });
  https
    .command('trust')
    .description('trust the CA in the system store and browser profiles (through the helper)')
    .action(async () => printTrust(await getDusty().https.trust()));
  https
    .command('untrust')
    .description('remove the CA from the system store and browser profiles (through the helper)')
    .action(async () => {
      const r = await getDusty().https.untrust();
      console.log(
        r.stores.length ? `removed Dusty's CA from ${r.stores.join(', ')}` : 'it was not trusted',
      );
    });
  https
    .command('recreate')
    .description(
      "make a new CA for every host-name suffix of the specs, and trust it in the old one's place",
    )
    .action(async () => {
      const { ca, trust } = await getDusty().https.recreate();
      console.log(`new CA ${ca.subject}, for ${ca.permitted.join(', ')}`);
      // The CA is made either way; trusting it is said, as `up` says it, without failing.
      printTrust(trust, false);
      console.log('`dusty up` gives the router a certificate from it.');
    });
}
