/**
 * The city's staff, as the simulator names them: a sampling site per RESIDENTS_PER_SITE
 * residents, a lab per SITES_PER_LAB neighbouring sites (every tube of a site goes to its lab),
 * and the gates that verify codes. The stack issues each one a credential when it prepares the
 * city (src/stack/prepare.ts); the journeys carry them (sim/journeys/index.ts).
 */
export const CHECKPOINT_KINDS = ['metro', 'shop', 'hospital'] as const;
export type CheckpointKind = (typeof CHECKPOINT_KINDS)[number];

/**
 * Not a sourced number: the sources give the city's lab capacity (1.6 million tubes a day), not
 * how many labs shared it. 50 sites of 2,500 residents is a lab for about 125,000 people.
 */
export const SITES_PER_LAB = 50;
/** Gates of each kind a resident may be checked at (a resident's gate is their index mod this). */
export const CHECKPOINTS_PER_KIND = 97;

export const siteName = (site: number): string => `site-${site}`;
export const labOfSite = (site: number): number => Math.floor(site / SITES_PER_LAB);
export const labName = (lab: number): string => `lab-${lab}`;
export const checkpointName = (kind: CheckpointKind, gate: number): string => `${kind}-${gate}`;

export function siteCount(residents: number, residentsPerSite: number): number {
  return Math.max(1, Math.ceil(residents / residentsPerSite));
}

/** Bearer tokens, by site, by lab and by checkpoint name: what the journeys send. */
export interface StaffCredentials {
  readonly samplers: readonly string[];
  readonly labs: readonly string[];
  readonly checkpoints: Readonly<Record<string, string>>;
}

/** Every credential the city needs, each made by `issue` (which holds the stack's key). */
export function cityStaff(
  sites: number,
  issue: (role: 'sampler' | 'lab' | 'checkpoint', scope: string, lab?: string) => string,
): StaffCredentials {
  const labs = labOfSite(sites - 1) + 1;
  const checkpoints: Record<string, string> = {};
  for (const kind of CHECKPOINT_KINDS) {
    for (let gate = 0; gate < CHECKPOINTS_PER_KIND; gate++) checkpoints[checkpointName(kind, gate)] = issue('checkpoint', checkpointName(kind, gate));
  }
  return {
    samplers: Array.from({ length: sites }, (_, site) => issue('sampler', siteName(site), labName(labOfSite(site)))),
    labs: Array.from({ length: labs }, (_, lab) => issue('lab', labName(lab))),
    checkpoints,
  };
}
