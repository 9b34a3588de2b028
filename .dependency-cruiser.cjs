// The import rules of docs/architecture.md, checked by `npm run lint` (depcruise) and so by CI.
// Layers, bottom to top; each may import only what is below it (and itself):
//   domain  (pure rules)           src/domain, src/errors.ts
//   platform                       src/platform, src/db, src/config.ts, src/logger.ts
//   cards   (view data -> JSON)    src/cards
//   features, in this order        registry < status < cycle < problems < submission < league < escalation < chat
//   composition                    src/app, src/cli, src/cli.ts, src/main.ts, src/demo, src/try
// src/sandbox is the simulated Feishu tenant: an island only the composition layer starts.
/** Features bottom-up. A feature may import those before it, never those after it. */
const FEATURES = ['registry', 'status', 'cycle', 'problems', 'submission', 'league', 'escalation', 'chat'];
const TOP = '^src/(app|cli|demo|try)/|^src/(cli|main)\\.ts$';
const FEATURE_PATH = `^src/(${FEATURES.join('|')})/`;

const featureRules = FEATURES.slice(0, -1).map((name, i) => ({
  name: `feature-${name}-imports-upward`,
  comment: `${name} sits below ${FEATURES.slice(i + 1).join(', ')}: it may not import them (docs/architecture.md)`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: `^src/(${FEATURES.slice(i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle ties modules into one knot; break it by moving the shared part down a layer.',
      severity: 'error',
      from: { path: '^src/' },
      // A cycle of type-only imports has no load order and no runtime knot; every other one counts.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'domain-is-pure',
      comment: 'src/domain holds pure rules: no I/O, no platform, no feature.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/domain/|^src/errors\\.ts$' },
    },
    {
      name: 'platform-imports-no-feature',
      comment: 'The platform (Feishu client and intake, jobs, db, config) sits below cards and every feature.',
      severity: 'error',
      from: { path: '^src/(platform|db)/|^src/(config|logger|errors)\\.ts$' },
      to: { path: `^src/(cards|sandbox)/|${FEATURE_PATH}|${TOP}` },
    },
    {
      name: 'cards-are-presentation',
      comment: 'A card turns plain view data into card JSON: it imports no feature, no composition, and from the platform only types.',
      severity: 'error',
      from: { path: '^src/cards/' },
      to: { path: `^src/sandbox/|${FEATURE_PATH}|${TOP}` },
    },
    {
      name: 'cards-use-platform-types-only',
      comment: 'Cards do no I/O: from the platform they may import types (the Card shape) and the pure text-table helper, never code that talks.',
      severity: 'error',
      from: { path: '^src/cards/' },
      to: { path: '^src/(platform|db)/', pathNot: '^src/platform/text-table\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'features-never-import-composition',
      comment: 'Features register in src/app; they never import it (nor the CLI or the demo).',
      severity: 'error',
      from: { path: FEATURE_PATH },
      to: { path: TOP },
    },
    {
      name: 'sandbox-is-an-island',
      comment: 'The simulated Feishu tenant speaks only the wire format; it imports nothing of the bot, and only the composition layer starts it.',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/sandbox/|${TOP}` },
      to: { path: '^src/sandbox/' },
    },
    {
      name: 'sandbox-imports-no-bot-code',
      comment: 'The one exception: --seed reads the same spreadsheets as the registry import, through the same pure sheet reader.',
      severity: 'error',
      from: { path: '^src/sandbox/' },
      to: { path: '^src/', pathNot: '^src/sandbox/|^src/registry/(sheet-reader|header-map|cell-parsers|sheet-issue)\\.ts$|^src/errors\\.ts$|^src/domain/' },
    },
    ...featureRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
