import { readFileSync } from 'node:fs';

/** The RoadRunner release whose wire behaviour Burner follows; workers see it as RR_VERSION. */
export const RR_VERSION = '2025.1.15';

/** Burner's own version, from package.json. */
export const BURNER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
