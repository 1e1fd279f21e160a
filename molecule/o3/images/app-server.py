#!/usr/bin/env python3
"""Stand-in for the O3 PACS and VIEW images (001), whose registry is not reachable from the tests.

Reads the JDBC connection string the guide passes (DPACS_CONNECTION_STRING for PACS,
NGV_CONNECTION_STRING for VIEW; named by O3_STANDIN_DSN_VARIABLE), and answers GET on any path
with 200 when it can open that database and run a query, 503 otherwise. O3_STANDIN_BROKEN=1 makes
every answer 503: a release whose health check never passes.
"""
import http.server
import os
import signal
import sys
import urllib.parse

import pymysql

NAME = os.environ.get("O3_STANDIN_NAME", "app") + " " + os.environ.get("O3_STANDIN_VERSION", "")
PORT = int(os.environ.get("O3_STANDIN_PORT", "8080"))
BROKEN = os.environ.get("O3_STANDIN_BROKEN") == "1"


def connection_settings():
    """'driverClassName=...;jdbcUrl=jdbc:mysql://db:3306/public_view;username=u;password=p' -> dict."""
    fields = dict(part.split("=", 1) for part in os.environ[os.environ["O3_STANDIN_DSN_VARIABLE"]].split(";") if "=" in part)
    url = urllib.parse.urlparse(fields["jdbcUrl"].removeprefix("jdbc:"))
    return {"host": url.hostname, "port": url.port or 3306, "user": fields["username"],
            "password": fields["password"], "database": fields.get("schema") or url.path.strip("/")}


def database_check():
    settings = connection_settings()
    conn = pymysql.connect(connect_timeout=3, **settings)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT DATABASE()")
            return cur.fetchone()[0]
    finally:
        conn.close()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if BROKEN:
            status, body = 503, f"{NAME} stand-in: this build is broken on purpose, health check fails\n"
        else:
            try:
                status, body = 200, f"{NAME} ok, database {database_check()}\n"
            except Exception as exc:  # any failure to reach the database is an unhealthy answer
                status, body = 503, f"{NAME} stand-in: database check failed: {exc}\n"
        if status != 200:
            print(body.strip(), file=sys.stderr, flush=True)
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


# PID 1 ignores SIGTERM without a handler: docker stop would wait 10 s and kill.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print(f"{NAME} stand-in listening on {PORT}" + (" (broken build)" if BROKEN else ""), flush=True)
http.server.ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
