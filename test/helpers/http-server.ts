// The gateway's test support already serves a listener on 127.0.0.1 port 0; integration tests use the same one.
export { serve as startHttpServer, type Served as TestHttpServer } from '../../gateway/testing/serve.js';
