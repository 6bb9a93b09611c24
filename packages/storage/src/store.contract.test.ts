import { describe } from 'vitest';
import { assignmentContract, courseContract, enrollmentContract } from './contract/courses.ts';
import { sessionContract, tokenContract, userContract } from './contract/identity.ts';
import {
  labAccessLogContract,
  labContract,
  labDeploymentContract,
  labEnvironmentContract,
  labVersionContract,
} from './contract/labs.ts';
import { loginFailureContract } from './contract/login-failures.ts';
import { runCancelContract, runLifecycleContract, runStorageContract } from './contract/runs.ts';
import { storeContract } from './contract/store.ts';
import { DIALECTS, useTestDatabases } from './test-support/databases.ts';

// One suite, every dialect: a behaviour that differs between SQLite and PostgreSQL is a bug.
for (const dialect of DIALECTS) {
  describe(`Store on ${dialect}`, () => {
    const dbs = useTestDatabases(dialect);
    describe('store', () => storeContract(dbs, dialect));
    describe('users', () => userContract(dbs));
    describe('tokens', () => tokenContract(dbs));
    describe('sessions', () => sessionContract(dbs));
    describe('courses', () => courseContract(dbs));
    describe('enrollments', () => enrollmentContract(dbs));
    describe('assignments', () => assignmentContract(dbs));
    describe('runs: storage and queries', () => runStorageContract(dbs));
    describe('runs: lifecycle', () => runLifecycleContract(dbs));
    describe('runs: cancel and recovery', () => runCancelContract(dbs));
    describe('labs', () => labContract(dbs));
    describe('lab versions', () => labVersionContract(dbs));
    describe('lab deployments', () => labDeploymentContract(dbs));
    describe('lab environments', () => labEnvironmentContract(dbs));
    describe('lab access log', () => labAccessLogContract(dbs));
    describe('login failures', () => loginFailureContract(dbs));
  });
}
