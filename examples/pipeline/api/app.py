"""The api service of compose.yaml: answers on 8080."""
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"shop api\n")


HTTPServer(("", 8080), Handler).serve_forever()
