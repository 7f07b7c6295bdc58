/** The simulator's public pieces. */
export {
  AGE_MIX,
  CITY_POPULATION,
  DISTRICTS,
  KNOWN_REGION_CODES,
  OLDEST_AGE,
  RETIRED_REGION_CODES,
  ageMix,
  allocate,
  type AgeBand,
  type District,
} from './city/districts.js';
export {
  CHECK_CHARACTERS,
  CHECK_WEIGHTS,
  DEFAULT_AS_OF,
  checkCharacter,
  checkIdNumber,
  type IdCheck,
  type IdCheckOptions,
} from './identity/gb11643.js';
export {
  DEFAULT_COMPOUND_SIZE,
  createIdentityGenerator,
  identities,
  type Identity,
  type IdentityGenerator,
  type IdentityOptions,
} from './identity/generator.js';
