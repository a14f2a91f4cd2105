// Cucumber profile: the acceptance features against the SUT. Reports are added by bin/cli.ts
// (per run, under reports/<run-id>/). Capacity scenarios run only through `npm run capacity`.
export default {
  paths: ['features/**/*.feature'],
  import: ['steps/**/*.ts'],
  tags: 'not @capacity',
  strict: true,
  format: ['progress'],
};
