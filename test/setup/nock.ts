import { afterAll, afterEach, beforeAll } from '@jest/globals';
import nock from 'nock';

// Outbound network is blocked except loopback: upstream APIs are faked at the edge.
beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
});
afterEach(() => {
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});
