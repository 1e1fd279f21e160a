"""Test fixture: answers every HTTP request (GET, CONNECT, ...) with one status and one header.

407 + Proxy-Authenticate is a proxy that refuses the credentials; 401 + WWW-Authenticate a registry
that rejects the login. Usage: refuser.py PORT STATUS 'Header-Name: value'
"""
import http.server
import sys

PORT, STATUS = int(sys.argv[1]), int(sys.argv[2])
HEADER = sys.argv[3].split(': ', 1)


class Refuser(http.server.BaseHTTPRequestHandler):
    def answer(self):
        self.send_response(STATUS)
        self.send_header(*HEADER)
        self.send_header('Content-Length', '0')
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_CONNECT = answer


http.server.ThreadingHTTPServer(('127.0.0.1', PORT), Refuser).serve_forever()
