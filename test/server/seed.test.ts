import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityGenerator } from '../../sim/identity/generator.js';
import { seedResidents } from '../../src/server/db/seed.js';
import { startEmbeddedPostgres } from '../../src/stack/postgres.js';
import { Teardown } from '../../src/stack/teardown.js';

/**
 * Seeding into a real Postgres: the rows are the generator's residents, and the table ends with
 * its keys (the primary key is built as a unique index and made the key afterwards, so that the
 * three builds run side by side).
 */
describe('seedResidents', () => {
  const teardown = new Teardown();
  let db: pg.Client;
  const residents = 40_000;
  const seed = 99;

  beforeAll(async () => {
    const postgres = await startEmbeddedPostgres(teardown);
    const result = await seedResidents({ databaseUrl: postgres.url, residents, seed, population: 400_000 });
    expect(result.residents).toBe(residents);
    db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end().catch(() => {});
    await teardown.run();
  });

  it('stores every resident as the generator makes them, drawn from the larger city', async () => {
    const people = createIdentityGenerator({ seed, population: 400_000 });
    const { rows } = await db.query<{ id: number; id_digits: string; name: string; phone: string; compound: number }>(
      'SELECT id, id_digits::text, name, phone::text, compound FROM residents WHERE id % 997 = 0 OR id = $1 ORDER BY id',
      [residents - 1],
    );
    expect(rows.length).toBe(Math.floor((residents - 1) / 997) + 2);
    for (const row of rows) {
      const who = people.identity(row.id);
      expect(row).toEqual({ id: who.index, id_digits: who.idNumber.slice(0, 17), name: who.name, phone: who.phone, compound: who.compound });
    }
    expect((await db.query('SELECT count(*)::int AS n, max(id) AS top FROM residents')).rows[0]).toEqual({ n: residents, top: residents - 1 });
  });

  it('ends with the primary key on id, the unique index on the ID number and the BRIN on compounds', async () => {
    // contype <> 'n': Postgres 18 keeps each NOT NULL as a constraint too.
    const { rows: keys } = await db.query("SELECT conname, contype, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'residents'::regclass AND contype <> 'n'");
    expect(keys).toEqual([{ conname: 'residents_pkey', contype: 'p', def: 'PRIMARY KEY (id)' }]);
    const { rows: indexes } = await db.query("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'residents' ORDER BY indexname");
    expect(indexes.map((i: { indexname: string }) => i.indexname)).toEqual(['residents_compound', 'residents_id_digits', 'residents_pkey']);
    expect(indexes.find((i: { indexname: string }) => i.indexname === 'residents_id_digits').indexdef).toMatch(/UNIQUE INDEX .* \(id_digits\)/);
    expect(indexes.find((i: { indexname: string }) => i.indexname === 'residents_compound').indexdef).toMatch(/USING brin \(compound\)/);
    await expect(db.query('INSERT INTO residents (id, id_digits, name, phone, compound) VALUES (0, 1, $1, 1, 0)', ['x'])).rejects.toThrow(/residents_pkey/);
  });
});
