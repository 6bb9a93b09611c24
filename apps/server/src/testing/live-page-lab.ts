/**
 * Test support: a lab whose page opens its own WebSocket, for the lab proxy's WebSocket tests on
 * a real engine (labs.e2e on Podman, labs-flow.k8s through a port-forward).
 */
/**
 * A live page for the lab proxy's WebSockets: Python's standard library only (lab-shell has
 * python3), serving a page on 8080 whose script opens a WebSocket next to it, sends "ping" and
 * shows the answer; the server answers each text message with "echo:" and the text.
 */
export const LIVE_SERVER = [
  'import base64, hashlib, http.server',
  'PAGE = b"""<!doctype html><title>live</title><p id=state>connecting</p><script>',
  "const state = document.getElementById('state');",
  "const ws = new WebSocket(new URL('echo', location.href.replace(/^http/, 'ws')));",
  "ws.onopen = () => ws.send('ping');",
  "ws.onmessage = (e) => { state.textContent = 'got ' + e.data; };",
  "ws.onclose = (e) => { if (!state.textContent.startsWith('got')) state.textContent = 'closed ' + e.code; };",
  '</script>"""',
  'class Live(http.server.BaseHTTPRequestHandler):',
  "    protocol_version = 'HTTP/1.1'",
  '    def log_message(self, *args): pass',
  '    def do_GET(self):',
  "        if self.headers.get('Upgrade', '').lower() != 'websocket':",
  '            self.send_response(200)',
  "            self.send_header('Content-Type', 'text/html')",
  "            self.send_header('Content-Length', str(len(PAGE)))",
  '            self.end_headers()',
  '            self.wfile.write(PAGE)',
  '            return',
  "        key = self.headers['Sec-WebSocket-Key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'",
  '        self.send_response(101)',
  "        self.send_header('Upgrade', 'websocket')",
  "        self.send_header('Connection', 'Upgrade')",
  "        self.send_header('Sec-WebSocket-Accept', base64.b64encode(hashlib.sha1(key.encode()).digest()).decode())",
  '        self.end_headers()',
  '        self.close_connection = True',
  '        while True:',
  '            head = self.rfile.read(2)',
  '            if len(head) < 2: return',
  '            opcode, size = head[0] & 15, head[1] & 127',
  "            if size == 126: size = int.from_bytes(self.rfile.read(2), 'big')",
  "            elif size == 127: size = int.from_bytes(self.rfile.read(8), 'big')",
  '            mask = self.rfile.read(4)',
  '            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(size)))',
  "            if opcode == 8: self.wfile.write(b'\\x88\\x00'); return",
  '            if opcode == 1:',
  "                out = b'echo:' + data",
  '                self.wfile.write(bytes([0x81, len(out)]) + out)',
  "http.server.ThreadingHTTPServer(('', 8080), Live).serve_forever()",
].join('\n');

/** A lab `live` whose one component serves that page on 8080 (YAML, as pasted in the web UI). */
export const liveLabTemplate = (resources = { cpu: '1', memory: '1Gi' }) => `apiVersion: aperture.dev/v1alpha1
kind: LabTemplate
metadata: { name: live, description: A page with its own WebSocket }
spec:
  resources: { cpu: "${resources.cpu}", memory: ${resources.memory}, storage: "0" }
  components:
    - name: live
      image: aperture/lab-shell
      command: ${JSON.stringify(['python3', '-c', LIVE_SERVER])}
      ports: [{ name: http, port: 8080 }]
`;
