import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layers point one way (STYLE.md 1): a lower layer of the reference SBC never imports an upper
// one, and the suite never imports reference-SBC code (DESIGN.md: a shared parser hides shared bugs).
const sbcLayers = ['sip', 'transport', 'transaction', 'dialog', 'policy', 'media', 'cdr', 'admin'];
const layerRules = sbcLayers.map((layer, i) => ({
  files: [`reference-sbc/src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: sbcLayers.slice(i + 1).map((upper) => ({
        group: [`**/${upper}/*`, `../${upper}`, `../${upper}/*`],
        message: `layer ${layer} must not import the upper layer ${upper}`,
      })),
    }],
  },
}));

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
  {
    files: ['harness/**/*.ts', 'steps/**/*.ts', 'topology/**/*.ts', 'features/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/reference-sbc/**', 'reference-sbc'], message: 'the suite knows an SBC only through its SUT profile' }],
      }],
    },
  },
);
