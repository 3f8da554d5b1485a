/**
 * Import rules for src/ (issue 16), checked by test/architecture/import-rules.test.ts; also runnable
 * as `npx depcruise src`. The layers, bottom to top — a layer imports only what is below it:
 *
 *   config/                                   reads and validates the environment; imports nothing
 *   lib/                                      errors, schemas, logging; may read config's types
 *   modules/crypto/   modules/outbound/       leaves: sealing and key rings; the pinned, policed HTTP
 *                                             client. Only config/ and lib/ below them.
 *   modules/discovery/                        OIDC/SAML checks; outbound/ is its only module below
 *   db/                                       the database handle, transactions, migrations; only
 *                                             config/ and lib/ below it
 *   the other modules/*                       the domain (auth, api-keys, tenants, orgs, secrets,
 *                                             sso-versions, forwarding, audit, idempotency, …); they
 *                                             may use each other, but never in a cycle
 *   plugins/                                  Fastify plugins; only routes (and app/container) use them
 *   app.ts, container.ts, runtime.ts          the composition root: the only place that wires it all
 *                                             (runtime.ts: the database and migrations, for server and CLIs)
 *   server.ts, cli/                           entry points; nothing imports them (csso, in cli/csso/,
 *                                             is files by command that import each other and, inside
 *                                             src/, only the typed client of src/client/)
 *
 * A leaf (config, lib, crypto, outbound, discovery) imports nothing from db/, plugins/, the composition
 * root or a domain module: it can be read, tested and reused without a database or a server.
 */
/** The leaves and what each may import inside src/ (besides itself). */
const leaves = [
  { name: 'config', path: '^src/config/', below: [] },
  { name: 'lib', path: '^src/lib/', below: ['^src/config/'] },
  { name: 'crypto', path: '^src/modules/crypto/', below: ['^src/config/', '^src/lib/'] },
  { name: 'outbound', path: '^src/modules/outbound/', below: ['^src/config/', '^src/lib/'] },
  {
    name: 'discovery',
    path: '^src/modules/discovery/',
    below: ['^src/config/', '^src/lib/', '^src/modules/outbound/'],
  },
];

module.exports = {
  forbidden: [
    ...leaves.map((leaf) => ({
      name: `${leaf.name}-is-a-leaf`,
      severity: 'error',
      comment: `src/${leaf.path.slice(5)} imports nothing above it; inside src/ only ${
        leaf.below.length === 0 ? 'itself' : leaf.below.map((p) => p.slice(1)).join(', ')
      }.`,
      from: { path: leaf.path },
      to: { path: '^src/', pathNot: [leaf.path, ...leaf.below] },
    })),
    {
      name: 'db-imports-only-config-and-lib',
      severity: 'error',
      comment: 'src/db/ (handle, transactions, migrations) serves the modules and knows none of them.',
      from: { path: '^src/db/' },
      to: { path: '^src/', pathNot: ['^src/(db|config|lib|generated)/'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No file reaches itself through its imports.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-between-folders',
      severity: 'error',
      comment:
        'No folder (module) reaches itself through the imports of its files, e.g. auth/ and api-keys/.',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'only-routes-and-plugins-import-fastify',
      severity: 'error',
      comment:
        'The HTTP framework stays at the edge: routes, plugins and app.ts; services know nothing of it.',
      from: { path: '^src/', pathNot: ['\\.routes\\.ts$', '^src/plugins/', '^src/app\\.ts$'] },
      to: { path: '^node_modules/(fastify|fastify-plugin|@fastify/[^/]+)/' },
    },
    {
      name: 'only-routes-and-the-root-import-plugins',
      severity: 'error',
      comment: 'Plugins are the HTTP layer: routes, other plugins and the composition root use them.',
      from: { path: '^src/', pathNot: ['\\.routes\\.ts$', '^src/plugins/', '^src/(app|container)\\.ts$'] },
      to: { path: '^src/plugins/' },
    },
    {
      name: 'only-entry-points-import-the-root',
      severity: 'error',
      comment:
        'app.ts, container.ts and runtime.ts wire the service; only server.ts, cli/ and app.ts (its container) import them.',
      from: { path: '^src/', pathNot: ['^src/server\\.ts$', '^src/cli/', '^src/app\\.ts$'] },
      to: { path: '^src/(app|container|runtime|server)\\.ts$' },
    },
    {
      name: 'nothing-imports-an-entry-point',
      severity: 'error',
      comment: 'server.ts and the command-line tools run; nothing imports them.',
      from: { pathNot: '^src/cli/csso/' },
      to: { path: ['^src/server\\.ts$', '^src/cli/'] },
    },
    {
      name: 'nothing-imports-csso-main',
      severity: 'error',
      comment:
        'csso (src/cli/csso/) is a program of a file per command; its main.ts runs, nothing imports it.',
      from: {},
      to: { path: '^src/cli/csso/main\\.ts$' },
    },
    {
      name: 'csso-talks-through-the-client',
      severity: 'error',
      comment:
        'csso knows the service only through its API: inside src/ it imports the typed client (src/client/) and itself.',
      from: { path: '^src/cli/csso/' },
      to: { path: '^src/', pathNot: ['^src/cli/csso/', '^src/client/'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves (a rule cannot hold for an arrow the cruiser could not follow).',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // type-only imports couple as much as value imports
    tsPreCompilationDeps: true,
    doNotFollow: { path: ['node_modules', '^src/generated/'] },
    exclude: { path: ['^src/generated/'] },
    // resolve packages through their "exports" as Node does (dependency-cruiser's default for ESM)
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
