// The ordered list of migrations. A static provider works the same under tsx and compiled JS.
import type { Migration } from 'kysely';
import * as coreSchema from './20261121T0800-core-schema.js';
import * as lookupIndexes from './20261121T0900-lookup-indexes.js';
import * as escalation from './20261201T0900-escalation.js';
import * as league from './20261201T1000-league.js';
import * as cycleProjectsByProject from './20261201T1100-cycle-projects-by-project.js';
import * as deliveryFailures from './20261202T0900-delivery-failures.js';
import * as lightsByCycle from './20261202T1200-lights-by-cycle.js';
import * as dropLastImport from './20261203T0900-drop-last-import.js';
import * as changesAsJson from './20261204T0900-changes-as-json.js';

export const migrations: Record<string, Migration> = {
  '20261121T0800-core-schema': coreSchema,
  '20261121T0900-lookup-indexes': lookupIndexes,
  '20261201T0900-escalation': escalation,
  '20261201T1000-league': league,
  '20261201T1100-cycle-projects-by-project': cycleProjectsByProject,
  '20261202T0900-delivery-failures': deliveryFailures,
  '20261202T1200-lights-by-cycle': lightsByCycle,
  '20261203T0900-drop-last-import': dropLastImport,
  '20261204T0900-changes-as-json': changesAsJson,
};
