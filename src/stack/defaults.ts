/** The stack's defaults, in a module of their own so that light commands (plan) can read them
 *  without loading the stack. */
export const DEFAULT_RESIDENTS = 10_000;
export const DEFAULT_SEED = 20220104;
