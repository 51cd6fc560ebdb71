import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStraceSummary, selfTimes, type Profile } from '../../bench/profile/parse.js';

// `strace -c -f` output as strace 6.1 (Debian 12) writes it, errors column included.
const STRACE = `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 41.20    0.012000           4      3000           epoll_pwait
 30.00    0.008000           1      6000        12 read
 20.00    0.005000           2      2500           writev
  8.80    0.002000           1      2600           write
------ ----------- ----------- --------- --------- ----------------
100.00    0.027000           1     14100        12 total
`;

test('strace -c: calls per system call, the total line left out', () => {
  assert.deepEqual(parseStraceSummary(STRACE), { epoll_pwait: 3000, read: 6000, writev: 2500, write: 2600 });
});

test('cpuprofile self time: each sample gets the delta to the next one, only inside the window when one is given', () => {
  const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 9 });
  const p: Profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('writeBuffer') },
      { id: 3, callFrame: frame('respond', 'file:///x/dist/src/http/server.js') },
      { id: 4, callFrame: frame('(idle)') },
    ],
    startTime: 1000,
    endTime: 2000,
    samples: [2, 3, 4, 2],
    timeDeltas: [0, 100, 300, 50],
  };
  const all = selfTimes(p);
  assert.equal(all.get('writeBuffer'), 100); // sample 0 at t=1000, next after 100 µs; the last sample has no next
  assert.equal(all.get('respond dist/src/http/server.js:10'), 300);
  assert.equal(all.get('(idle)'), 50);
  // Window [1050, 1420]: only the samples at t=1100 (respond) and t=1400 (idle).
  const win = selfTimes(p, { from: 1050, to: 1420 });
  assert.deepEqual([...win.keys()].sort(), ['(idle)', 'respond dist/src/http/server.js:10']);
});
