import pg from 'pg';

/**
 * The health-code database. Residents are seeded in bulk; a resident without a row in
 * health_codes holds the default code (green, version 0): the system stores what changed.
 * Indexes on residents are built after the bulk load, as pgbench does, because building them
 * once is far cheaper than maintaining them row by row.
 *
 * A resident's ID number is kept as its first 17 digits in a bigint: the 18th character is a
 * check character that follows from them, and the region and birth date are read off them when
 * needed. Measured on the whole city, a unique B-tree over char(18) took 14 s to build, over
 * bigint about half that; and fewer, cheaper columns make the bulk load faster too.
 */
export const DEFAULT_CODE = Object.freeze({ colour: 'green', reason: 'no restriction', version: 0 });

export const TABLES_SQL = `
CREATE TABLE IF NOT EXISTS residents (
  id          integer NOT NULL,
  id_digits   bigint NOT NULL,
  name        text NOT NULL,
  phone       bigint NOT NULL,
  compound    integer NOT NULL
);
CREATE TABLE IF NOT EXISTS health_codes (
  resident_id integer PRIMARY KEY,
  colour      text NOT NULL CHECK (colour IN ('green', 'yellow', 'red')),
  reason      text NOT NULL,
  version     integer NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS tubes (
  id          text PRIMARY KEY,
  site        text NOT NULL,
  table_no    integer NOT NULL,
  opened_at   timestamptz NOT NULL DEFAULT now(),
  result      text CHECK (result IN ('negative', 'positive')),
  lab         text NOT NULL,  -- the lab it is routed to (its site's), the only one that may report it
  reported_at timestamptz
);
CREATE TABLE IF NOT EXISTS samples (
  tube_id     text NOT NULL REFERENCES tubes(id),
  resident_id integer NOT NULL,
  method      text NOT NULL CHECK (method IN ('scan', 'manual')),
  taken_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tube_id, resident_id)
);
CREATE INDEX IF NOT EXISTS samples_resident ON samples (resident_id);
CREATE TABLE IF NOT EXISTS manual_entries (
  id          bigserial PRIMARY KEY,
  tube_id     text NOT NULL,
  id_number   char(18) NOT NULL,
  site        text NOT NULL,
  table_no    integer NOT NULL,
  entered_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS audit (
  id          bigserial PRIMARY KEY,
  role        text NOT NULL,
  scope       text NOT NULL,
  action      text NOT NULL,
  subject     text NOT NULL,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS checkpoint_scans (
  id          bigserial PRIMARY KEY,
  resident_id integer NOT NULL,
  checkpoint  text NOT NULL,
  kind        text NOT NULL,
  colour      text NOT NULL,
  scanned_at  timestamptz NOT NULL DEFAULT now()
);
-- A sample's binding in one call (oneTripSampleBind): the statements of routes/samples.ts's
-- bind(), in order, run inside the database. A volatile function takes a new snapshot for each
-- statement under READ COMMITTED, so the count after the lock sees what the lock's last holder
-- committed, as it does when the server sends them one by one. Refusals are raised with the
-- SQLSTATEs of BIND_REFUSALS (routes/samples.ts).
CREATE OR REPLACE FUNCTION bind_sample(p_tube text, p_site text, p_table integer, p_lab text, p_resident integer, p_method text, p_role text, p_scope text, p_capacity integer)
RETURNS TABLE (members integer, added boolean) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  t_result text;
  t_site   text;
  n        integer;
  here     boolean;
BEGIN
  INSERT INTO tubes (id, site, table_no, lab) VALUES (p_tube, p_site, p_table, p_lab) ON CONFLICT (id) DO NOTHING;
  SELECT t.result, t.site INTO t_result, t_site FROM tubes t WHERE t.id = p_tube FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'tube % vanished inside its transaction', p_tube; END IF;
  IF t_site <> p_site THEN RAISE EXCEPTION USING ERRCODE = 'CSB01', MESSAGE = 'tube site'; END IF;
  IF t_result IS NOT NULL THEN RAISE EXCEPTION USING ERRCODE = 'CSB02', MESSAGE = 'tube closed'; END IF;
  SELECT count(*)::int, coalesce(bool_or(s.resident_id = p_resident), false) INTO n, here FROM samples s WHERE s.tube_id = p_tube;
  IF here THEN RETURN QUERY SELECT n, false; RETURN; END IF;
  IF n >= p_capacity THEN RAISE EXCEPTION USING ERRCODE = 'CSB03', MESSAGE = 'tube full'; END IF;
  INSERT INTO samples (tube_id, resident_id, method) VALUES (p_tube, p_resident, p_method);
  INSERT INTO audit (role, scope, action, subject) VALUES (p_role, p_scope, 'sample.' || p_method, p_tube || ':' || p_resident);
  RETURN QUERY SELECT n + 1, true;
END $$;
`;

/**
 * Built after the load, each on its own connection so they proceed side by side. Compounds are
 * stored in id order, so a BRIN index (a few pages) finds a compound's rows as well as a
 * B-tree would, at a fraction of the build cost. The primary key is built as a plain unique
 * index and made the key afterwards (RESIDENT_KEY_SQL, a catalogue change): `ADD PRIMARY KEY`
 * would hold the table's ACCESS EXCLUSIVE lock while it builds, so the other two waited for it
 * or it for them (measured on the whole city: 9.2–9.5 s for the three, one after another
 * in effect).
 */
export const RESIDENT_INDEXES_SQL: readonly string[] = [
  'CREATE UNIQUE INDEX residents_pkey ON residents (id)',
  'CREATE UNIQUE INDEX residents_id_digits ON residents (id_digits)',
  'CREATE INDEX residents_compound ON residents USING brin (compound) WITH (pages_per_range = 16)',
];
export const RESIDENT_KEY_SQL = 'ALTER TABLE residents ADD CONSTRAINT residents_pkey PRIMARY KEY USING INDEX residents_pkey';

/**
 * One row per staff write, inside the write's own transaction: who (role and scope, from the
 * staff token), what, and to which tube or resident. A checkpoint's scans are their own record
 * (checkpoint_scans names the checkpoint), so they write none here.
 */
export async function audit(client: pg.ClientBase, staff: { role: string; scope: string }, action: string, subject: string): Promise<void> {
  await client.query('INSERT INTO audit (role, scope, action, subject) VALUES ($1, $2, $3, $4)', [staff.role, staff.scope, action, subject]);
}

export async function createTables(client: pg.ClientBase): Promise<void> {
  await client.query(TABLES_SQL);
}

export async function createResidentIndexes(databaseUrl: string): Promise<void> {
  await Promise.all(
    RESIDENT_INDEXES_SQL.map((sql) =>
      onItsOwnConnection(databaseUrl, async (client) => {
        // The builds already run side by side; each spawning parallel workers of its own on
        // top only makes them fight over the same cores (measured: slower).
        await client.query('SET max_parallel_maintenance_workers = 0');
        await client.query(sql);
      }),
    ),
  );
  await onItsOwnConnection(databaseUrl, (client) => client.query(RESIDENT_KEY_SQL));
}

async function onItsOwnConnection(databaseUrl: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

/** The bigint key of an ID number that already passed its check: its first 17 digits. */
export function idDigits(idNumber: string): string {
  return idNumber.slice(0, 17);
}
