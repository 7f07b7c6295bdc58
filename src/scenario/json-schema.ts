import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../package-root.js';
import { scenarioSchema } from './schema.js';

/**
 * scenarios/schema.json, generated from the zod schema (the single source) for editors: with
 * `# yaml-language-server: $schema=./schema.json` a YAML editor completes and checks fields.
 * Rules that span fields (load or city, a step's steps or use) live in zod refinements, which a
 * JSON Schema cannot carry: `codestorm validate` checks those. `npm run schema` rewrites the
 * file; a test fails when it is stale.
 */
export function scenarioJsonSchema(): string {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'codestorm scenario', $id: 'https://codestorm.dev/scenario.schema.json' }, null, 2)}\n`;
}

export const SCHEMA_FILE = path.join(packageRoot(), 'scenarios', 'schema.json');

const isEntry = process.argv[1] !== undefined && /json-schema\.js$/.test(process.argv[1]);
if (isEntry) {
  writeFileSync(SCHEMA_FILE, scenarioJsonSchema());
  process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}\n`);
}
