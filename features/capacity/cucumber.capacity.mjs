// Cucumber profile of the @capacity features: run by `npm run capacity -- --feature` (bin/cli.ts),
// never by `npm test`, whose profile (cucumber.mjs) excludes the tag.
export default {
  paths: ['features/capacity/**/*.feature'],
  // The run context, the scenario hooks and the capacity steps only: no packet captures (at a hundred
  // calls per second with media they would cost more than the SBC, and the audits are certify's).
  import: ['steps/world.ts', 'steps/hooks.ts', 'steps/capacity.steps.ts'],
  tags: '@capacity',
  strict: true,
  format: ['progress'],
};
