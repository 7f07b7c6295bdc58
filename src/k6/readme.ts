import type { LoadedScenario } from '../scenario/load.js';
import type { K6Load } from './options.js';
import { CONFIGMAP_LIMIT_BYTES, TARGET_PLACEHOLDER, k8sName } from './testrun.js';

/** The README.md written beside an exported script: how to run it, collect it, read it back. */
export interface ReadmeInput {
  readonly loaded: LoadedScenario;
  readonly load: K6Load;
  readonly seed: number;
  readonly parallelism: number;
  readonly scriptBytes: number;
  readonly configMapCommand: string;
  readonly target: string | undefined;
  readonly notes: readonly string[];
}

export function k6Readme(input: ReadmeInput): string {
  const { loaded, load, seed, parallelism } = input;
  const s = loaded.scenario;
  const city = loaded.city;
  const target = input.target ?? TARGET_PLACEHOLDER;
  const scenarios = Object.entries(load.scenarios).map(([name, sc]) => {
    const ramp = load.ramps.find((r) => r.journey === sc.tags['journey']);
    const made = ramp === undefined ? '' : `: ${Math.round(ramp.ramp.arrivals).toLocaleString('en')} arrivals (plan ${Math.round(ramp.ramp.planned).toLocaleString('en')}), ${ramp.ramp.stages.length} stages`;
    return `- \`${name}\` — ${sc.executor}${made}`;
  });
  const lines = [
    `# ${s.name}, exported for k6`,
    '',
    `Written by \`codestorm export k6 ${loaded.file}\`. Seed ${seed}.`,
    '',
    '**No real k6 ran where this was made**: that workplace cannot install the k6 binary. The script is',
    'type-checked against `@types/k6` and run in codestorm\'s tests under a test double of k6\'s modules,',
    'against the reference server; run it with a real k6 before you trust a number it gives.',
    '',
    '## What is here',
    `- \`script.js\` (${input.scriptBytes.toLocaleString('en')} bytes of ${CONFIGMAP_LIMIT_BYTES.toLocaleString('en')} a ConfigMap holds): one ES module, the journeys, the adapter of codestorm's journey context onto \`http.asyncRequest\` and \`k6/timers\`, and \`options\`:`,
    ...scenarios.map((l) => `  ${l}`),
    '  Thresholds are the scenario\'s, verbatim.',
    `- \`testrun.yaml\`: a k6-operator TestRun with ${parallelism} runner(s).`,
    '',
    '## Run it on one machine',
    '```',
    `k6 run -e TARGET=${target} script.js`,
    '```',
    'Rates are the whole test\'s. `-e SEED=N` changes the seed.',
    '',
    '## Run it on Kubernetes (k6-operator)',
    '```',
    input.configMapCommand,
    input.target === undefined ? `# edit TARGET in testrun.yaml (runner.env): the server's base URL\nkubectl apply -f testrun.yaml` : 'kubectl apply -f testrun.yaml',
    '```',
    `Runner i of ${parallelism} runs \`--execution-segment=(i-1)/${parallelism}:i/${parallelism}\`: each starts its share of the arrivals and of the VUs.`,
    '',
    '## Collect each runner\'s `--out json`',
    'The TestRun\'s arguments send the JSON lines to each runner\'s stdout (`--out json=/dev/stdout --quiet --no-summary`).',
    'Follow every runner pod\'s log to a file while the test runs (`cleanup: post` removes the pods when it ends):',
    '```',
    'kubectl get pods -l k6_cr=' + `codestorm-${k8sName(s.name)}` + ' -o name | grep runner | while read pod; do kubectl logs -f "$pod" > "${pod##*/}.ndjson" & done; wait',
    '```',
    '',
    '## Read it back',
    `\`codestorm report --from-k6 runner-*.ndjson --scenario SCENARIO.yaml\` (SCENARIO.yaml: the file this was exported from) merges the runners' files into one run directory and judges it as one run: thresholds over the whole test, not each runner's share.`,
    '',
    '## Faults beside the load',
    'Faults are not in the script. To run the scenario\'s fault timeline against the system while this test runs, start `codestorm faults SCENARIO.yaml --target URL --out DIR` (faults act through TOXIPROXY_URL, REDIS_URL and DATABASE_URL; `--start-at` sets its second 0), then read the runners\' files back into its directory, on one clock with the faults: `codestorm report --from-k6 runner-*.ndjson --run DIR`.',
    '',
  ];
  if (city !== undefined) lines.push(...citySection(city.population.residents, seed));
  if (input.notes.length > 0) lines.push('## Notes', ...input.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

/** The residents the script makes, and what the server must be started with to know them. */
function citySection(residents: number, seed: number): string[] {
  return [
    '## The city in the script',
    `The residents are made in the script from seed ${seed} by codestorm's identity generator (${residents.toLocaleString('en')} of them), as the reference server makes them: start it with the same seed and count (\`codestorm server --seed ${seed} --residents ${residents}\`).`,
    'Each VU keeps its own clients\' sessions; no phone holds a session when the test starts (the stack\'s prepared sessions are signed with its key, which stays with it), so every resident signs in on first open. Staff journeys send no credentials, and a server that checks them refuses them.',
    '',
  ];
}
