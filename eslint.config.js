import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layers point one way (STYLE.md 1): a lower layer of the reference SBC never imports an upper
// one, and the suite never imports reference-SBC code (DESIGN.md: a shared parser hides shared bugs).
const sbcLayers = ['sip', 'transport', 'transaction', 'dialog', 'policy', 'media', 'cdr', 'admin'];
const upperLayers = (i) => sbcLayers.slice(i + 1).map((upper) => ({
  group: [`**/${upper}/*`, `../${upper}`, `../${upper}/*`],
  message: `layer ${sbcLayers[i]} must not import the upper layer ${upper}`,
}));
// policy/ is five rooms; a room is reached through its index (policy/<room>), never a file inside it.
const policyRooms = ['security', 'routing', 'registrar', 'invite', 'dispatch'];
const intoARoom = { group: ['**/policy/*/*'], message: 'a policy room is imported through its index (policy/<room>)' };
const intoAnotherRoom = (room) => policyRooms.filter((other) => other !== room).map((other) => ({
  group: [`../${other}/*`, `**/policy/${other}/*`],
  message: `policy room ${room} imports room ${other} through its index (../${other})`,
}));
const restrict = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const policyAt = sbcLayers.indexOf('policy');
const layerRules = [
  ...sbcLayers.map((layer, i) => restrict([`reference-sbc/src/${layer}/**/*.ts`],
    [...upperLayers(i), ...(i > policyAt ? [intoARoom] : [])])),
  restrict(['reference-sbc/src/*.ts'], [intoARoom]),
  ...policyRooms.map((room) => restrict([`reference-sbc/src/policy/${room}/**/*.ts`], [...upperLayers(policyAt), ...intoAnotherRoom(room)])),
];

const notTheSbc = { group: ['**/reference-sbc/**', 'reference-sbc'], message: 'the suite knows an SBC only through its SUT profile' };
const suiteLayers = [
  { layer: 'harness', uppers: ['topology', 'steps', 'bin'] },
  { layer: 'topology', uppers: ['steps', 'bin'] },
  { layer: 'steps', uppers: ['bin'] },
  { layer: 'features', uppers: ['bin'] },
  { layer: 'bin', uppers: [] },
];
function suiteLayerRules() {
  return suiteLayers.map(({ layer, uppers }) => ({
    files: [`${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [notTheSbc, ...uppers.map((upper) => ({
          group: [`**/${upper}/*`, `**/${upper}/**`],
          message: `the suite's layer ${layer} must not import the upper layer ${upper}`,
        }))],
      }],
    },
  }));
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'reports/**', '**/*.d.ts', '.tmp/**', '.mutants/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...layerRules,
  // The suite's layers: harness/ (tools: SIP, media, pcap, reports) < topology/ (builds the zones
  // with those tools) < steps/ (scenarios) and bin/ (entry points). A lower layer never imports an
  // upper one, so harness/ and topology/ cannot import each other in a cycle.
  ...suiteLayerRules(),

);
