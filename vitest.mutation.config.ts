import { defineConfig } from 'vitest/config';

// What `npm run mutation` runs against each mutant: the unit project, on fake time and in milliseconds.
// The behaviour and integration tests wait out real deadlines (seconds a test, hours over a thousand
// mutants) or run the built bundle, which no mutant reaches.
export default defineConfig({
  test: {
    projects: [{ test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } }],
  },
});
