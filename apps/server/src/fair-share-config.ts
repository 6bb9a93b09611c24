import type { AdmissionPolicy, DispatcherOptions } from '@aperture/core';
import type { ServerConfig } from './config.ts';

/** The dispatcher's share of slots per user and course; unset settings keep core's defaults. */
export function fairShareOf(config: ServerConfig): NonNullable<DispatcherOptions['fairShare']> {
  return {
    ...(config.maxRunningPerUser !== undefined ? { perUser: config.maxRunningPerUser } : {}),
    ...(config.maxRunningPerCourse !== undefined ? { perCourse: config.maxRunningPerCourse } : {}),
    ...(config.reservedSlots !== undefined ? { reserved: config.reservedSlots } : {}),
  };
}

/** Ceilings of ad-hoc runs and caps on unfinished runs, from seconds in the config to core's ms. */
export function admissionPolicyOf(config: ServerConfig): AdmissionPolicy {
  const ms = (seconds: number) => Math.round(seconds * 1000);
  return {
    adhoc: {
      student: {
        testWallMs: ms(config.studentAdhocTestSeconds),
        tests: config.studentAdhocTests,
        bookedMs: ms(config.studentAdhocTotalSeconds),
      },
      staff: {
        testWallMs: ms(config.staffAdhocTestSeconds),
        tests: config.staffAdhocTests,
        bookedMs: ms(config.staffAdhocTotalSeconds),
      },
    },
    maxUnfinished: {
      student: config.maxUnfinishedStudent,
      staff: config.maxUnfinishedStaff,
      admin: config.maxUnfinishedAdmin,
    },
  };
}
