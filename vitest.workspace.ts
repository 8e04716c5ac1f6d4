// The test projects of the workspace. The root `vitest.config.ts` reads this list through `test.projects`
// (vitest 3.2 deprecates `defineWorkspace`).
export default ["packages/*", "examples"]
