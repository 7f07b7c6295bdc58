import { readK6Results } from '../src/k6/results.js';

/** The child of `bench k6-import`: reads the files named on its command line, prints what it read. */
let requests = 0;
const r = await readK6Results(process.argv.slice(2), {
  declare: () => {},
  second: (s) => {
    for (const req of s.requests.values()) for (const cell of req.outcomes.values()) requests += cell.count;
  },
});
process.stdout.write(`${JSON.stringify({ points: r.points, seconds: r.seconds, requests })}\n`);
