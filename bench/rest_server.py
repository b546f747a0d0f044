"""A paginated JSON API on 127.0.0.1 for the REST benchmark: /items?offset=N&limit=M, records under
`data`, the total under `total` (the shape sluice-bench rest serves in-process). Pages are rendered
ahead of time so the server costs the same for every client. Usage: rest_server.py PORT PAGES PER_PAGE"""
import http.server, json, socketserver, sys, urllib.parse

port, pages, per_page = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
total = pages * per_page

def page(offset):
    rows = [{"id": i, "name": f"item {i}", "updated_at": "2024-05-01T10:00:00Z", "amount": i / 4,
             "active": i % 2 == 0, "owner": {"login": f"user{i % 97}", "id": i % 97}}
            for i in range(offset, min(offset + per_page, total))]
    return json.dumps({"total": total, "data": rows}).encode()

rendered = {o: page(o) for o in range(0, total + per_page, per_page)}

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: without this, delayed ACKs add 40 ms a page
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        body = rendered.get(int(q.get("offset", ["0"])[0]), b'{"total":%d,"data":[]}' % total)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

Server(("127.0.0.1", port), Handler).serve_forever()
