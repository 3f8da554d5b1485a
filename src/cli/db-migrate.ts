/** `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database). */
import { configOrExit, startRuntime } from '../runtime.js';

const runtime = await startRuntime(configOrExit(), { applicationName: 'cognigy-sso-migrate', migrate: true });
await runtime.shutdown();
