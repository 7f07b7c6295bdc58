import { stringify } from 'yaml';

/**
 * The k6-operator's TestRun (k6.io/v1alpha1) for an exported script: `parallelism` runners,
 * each given its execution segment by the operator, the script from a ConfigMap, every
 * runner's metrics as JSON lines (collected from the runners' logs or volume, see the README),
 * and `cleanup: post` so the runners' pods go once the test ends.
 */
export const CONFIGMAP_FILE = 'script.js';
/** A ConfigMap holds at most 1 MiB (Kubernetes' limit on an object's data). */
export const CONFIGMAP_LIMIT_BYTES = 1024 * 1024;

/** What TARGET says when the scenario's target is the reference stack, which runs elsewhere. */
export const TARGET_PLACEHOLDER = 'http://reference-server.example:8080';

export interface TestRunInput {
  readonly name: string;
  readonly parallelism: number;
  /** The runners' TARGET: the server's base URL (undefined: the reference stack, a placeholder to edit). */
  readonly target: string | undefined;
}

export function configMapName(scenario: string): string {
  return `codestorm-${k8sName(scenario)}`;
}

export function testRun(input: TestRunInput): Record<string, unknown> {
  // JSON lines on stdout (progress and summary off), so that each runner's log is its metrics.
  const args = ['--out', 'json=/dev/stdout', '--quiet', '--no-summary', '--tag', `testid=${k8sName(input.name)}`];
  return {
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: { name: `codestorm-${k8sName(input.name)}` },
    spec: {
      parallelism: input.parallelism,
      script: { configMap: { name: configMapName(input.name), file: CONFIGMAP_FILE } },
      arguments: args.join(' '),
      separate: false,
      cleanup: 'post',
      runner: { image: 'grafana/k6:latest', env: [{ name: 'TARGET', value: input.target ?? TARGET_PLACEHOLDER }] },
    },
  };
}

export function testRunYaml(input: TestRunInput): string {
  return `# codestorm export k6: ${input.name}. kubectl apply -f testrun.yaml (after the ConfigMap, see README.md)\n${stringify(testRun(input))}`;
}

export function configMapCommand(scenario: string): string {
  return `kubectl create configmap ${configMapName(scenario)} --from-file=${CONFIGMAP_FILE}=script.js`;
}

/** A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters. */
export function k8sName(text: string): string {
  const name = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return (name === '' ? 'scenario' : name).slice(0, 50);
}
