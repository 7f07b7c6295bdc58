import { CITY_POPULATION } from '../sim/city/districts.js';
import { seedResidents } from '../src/server/db/seed.js';
import { startEmbeddedPostgres } from '../src/stack/postgres.js';
import { Teardown } from '../src/stack/teardown.js';
import { which } from '../src/stack/tools.js';
import pg from 'pg';
import { round, run, say, table } from './_util.js';

/**
 * Seeding the whole city (12,952,907 residents) against pgbench's own initialisation at scale
 * 130 (13,000,000 pgbench_accounts rows), on the same embedded Postgres, in one run.
 * Both load with COPY and then build their keys; ratio = codestorm time / pgbench time.
 */
export async function main(args: readonly string[]): Promise<number> {
  const residents = args[0] === undefined ? CITY_POPULATION : Number(args[0]);
  const scale = Math.ceil(residents / 100_000);
  const pgbench = await which('pgbench');
  if (pgbench === undefined) {
    say('bench seed: pgbench is not installed (apt-get install -y postgresql-client)');
    return 1;
  }
  const teardown = new Teardown();
  try {
    say('bench seed: starting embedded Postgres');
    const postgres = await startEmbeddedPostgres(teardown);

    say(`bench seed: pgbench -i -s ${scale} (${(scale * 100_000).toLocaleString('en')} rows)`);
    const pgStart = performance.now();
    await run(pgbench, ['-i', '-s', String(scale), '-q', '-h', postgres.host, '-p', String(postgres.port), '-U', postgres.user, postgres.database], {
      env: { ...process.env, PGPASSWORD: postgres.password },
      maxBuffer: 16 * 1024 * 1024,
    });
    const pgSeconds = (performance.now() - pgStart) / 1000;
    await dropPgbench(postgres.url);

    say(`bench seed: codestorm seeding ${residents.toLocaleString('en')} residents`);
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
    const ours = await seedResidents({ databaseUrl: postgres.url, residents, seed: 20220104 });
    clearInterval(sampler);

    const rows = [
      { what: `pgbench -i -s ${scale}`, rows: scale * 100_000, seconds: round(pgSeconds, 1), 'rows/s': Math.round((scale * 100_000) / pgSeconds) },
      { what: 'codestorm seed', rows: residents, seconds: round(ours.seconds, 1), 'rows/s': Math.round(residents / ours.seconds) },
      { what: '  of which COPY', rows: residents, seconds: round(ours.copySeconds, 1), 'rows/s': Math.round(residents / ours.copySeconds) },
      { what: '  of which indexes', rows: residents, seconds: round(ours.indexSeconds, 1), 'rows/s': '' },
    ];
    process.stdout.write(`${table(rows)}\n`);
    const ratio = round(ours.seconds / pgSeconds);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'seed',
        residents,
        codestorm_s: round(ours.seconds, 2),
        pgbench_s: round(pgSeconds, 2),
        ratio,
        goal: '<= 1.5',
        met: ratio <= 1.5,
        peak_rss_mb: Math.round(peakRss / 2 ** 20),
      })}\n`,
    );
    return 0;
  } finally {
    await teardown.run();
  }
}

async function dropPgbench(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history');
  await client.query('CHECKPOINT');
  await client.end();
}
