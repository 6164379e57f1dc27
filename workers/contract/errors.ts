/** The message of anything thrown: an Error's own, anything else as a string. */
export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
