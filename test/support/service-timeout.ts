// Suites that start API instances, workers and browsers take seconds per test on two cores shared with other work;
// jest's default 5 s failed them whenever the machine was busy. (`testTimeout` is not a per-project option.)
jest.setTimeout(30_000);
