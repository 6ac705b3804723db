// The demo's healthy sample service: a tiny HTTP server on PORT answering /healthz.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 18090);
createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'text/plain' });
  res.end(req.url === '/healthz' ? 'ok\n' : 'try /healthz\n');
}).listen(port, '127.0.0.1', () => console.log(`INFO demo-web listening on 127.0.0.1:${port}`));
