import { recording } from './recorder.js';

/** k6/execution: what an exported script reads of it. */
export default {
  instance: {
    get currentTestRunDuration(): number {
      return performance.now() - recording.startedAtMs;
    },
  },
};
