import { describeWith } from '@ump/core/src/testing/services';
import type { Mode } from './platform';

/**
 * Runs a suite once per run mode: embedded (always) and PostgreSQL + Redis + Kafka (when
 * they are reachable; required under UMP_REQUIRE_SERVICES=1).
 */
export function eachMode(name: string, suite: (mode: Mode) => void) {
  describe(`${name} [embedded]`, () => suite('embedded'));
  describeWith('postgres', 'redis', 'kafka')(`${name} [postgres+redis+kafka]`, () => suite('postgres'));
}
