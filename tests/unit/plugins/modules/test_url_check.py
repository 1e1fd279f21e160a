# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""url_check: failure classes from fabricated urllib errors, proxy choice, and main() against a local HTTP server."""

from __future__ import annotations

import http.server
import json
import socket
import ssl
import threading
from urllib.error import HTTPError, URLError

import pytest

from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19

from ansible_collections.pacsops.server.plugins.module_utils import url_check
from ansible_collections.pacsops.server.plugins.modules import url_check as url_check_module


def raising(exc):
    def opener(url, proxies, timeout, validate_certs):
        raise exc
    return opener


def answering(status, body=b''):
    def opener(url, proxies, timeout, validate_certs):
        return status, body
    return opener


TARGET = {'name': 'install server', 'url': 'https://install.example/'}


@pytest.mark.parametrize('exc, failure, status, words', [
    (URLError(socket.gaierror(-2, 'Name or service not known')), 'dns', -1, 'name not resolved'),
    (URLError(ConnectionRefusedError(111, 'Connection refused')), 'connect', -1, 'refused'),
    (URLError(OSError(113, 'No route to host')), 'connect', -1, 'cannot connect'),
    (URLError(socket.timeout('timed out')), 'timeout', -1, 'no answer'),
    (socket.timeout('timed out'), 'timeout', -1, 'no answer'),
    (URLError(ssl.SSLCertVerificationError(1, 'certificate verify failed')), 'tls', -1, 'TLS failed'),
    (URLError(OSError('Tunnel connection failed: 407 Proxy Authentication Required')), 'proxy_auth', 407, 'tunnel'),
    (URLError(OSError('Tunnel connection failed: 403 Forbidden')), 'http_status', 403, 'tunnel'),
    (HTTPError('http://x/', 407, 'Proxy Authentication Required', {}, None), 'proxy_auth', 407, '407'),
    (HTTPError('http://x/', 502, 'Bad Gateway', {}, None), 'http_status', 502, 'HTTP 502 (expected 200)'),
    (URLError('something odd'), 'other', -1, 'request failed'),
])
def test_failures_are_classified(exc, failure, status, words):
    entry = url_check.check_target(TARGET, raising(exc), {}, 5)
    assert entry['reachable'] is False
    assert (entry['failure'], entry['status']) == (failure, status)
    assert words in entry['reason']
    assert entry['hint'] == url_check.HINTS[failure]
    assert entry['summary'].startswith('UNREACHABLE: install server (https://install.example/): ')


def test_accepted_status_and_marker():
    target = dict(TARGET, status_code=[200, 401], marker='ipacs')
    assert url_check.check_target(target, answering(200, b'<h1>ipacs</h1>'), {}, 5)['reachable'] is True
    # An HTTPError with an accepted status counts as an answer (Docker Hub's 401).
    unauthorised = url_check.check_target(dict(TARGET, status_code=[200, 401]),
                                          raising(HTTPError('u', 401, 'Unauthorized', {}, None)), {}, 5)
    assert unauthorised['reachable'] is True and unauthorised['status'] == 401
    wrong = url_check.check_target(target, answering(200, b'captive portal login'), {}, 5)
    assert (wrong['failure'], wrong['reason']) == ('content', 'the answer does not contain "ipacs"')


def test_target_hint_is_appended():
    entry = url_check.check_target(dict(TARGET, hint='Ask the site IT.'), raising(URLError(socket.timeout())), {}, 5)
    assert entry['hint'].endswith(' Ask the site IT.')


def test_proxies_with_credentials_no_proxy_and_opt_out():
    args = ('http://proxy:3128', 'http://proxy:3128', ['.local', 'localhost'], 'us er', 'p@ss/word')
    assert url_check.proxies_for(TARGET, *args) == {'http': 'http://us%20er:p%40ss%2Fword@proxy:3128',
                                                    'https': 'http://us%20er:p%40ss%2Fword@proxy:3128'}
    assert url_check.proxies_for({'url': 'http://repo.site.local/'}, *args) == {}
    assert url_check.proxies_for(dict(TARGET, use_proxy=False), *args) == {}
    assert url_check.proxies_for(TARGET, '', '', [], '', '') == {}


def test_all_targets_in_order_in_parallel():
    seen = []

    def opener(url, proxies, timeout, validate_certs):
        seen.append((url, proxies))
        return 200, b''
    targets = [{'name': str(n), 'url': 'http://t%d/' % n} for n in range(5)]
    results = url_check.check_all(targets, opener=opener, http_proxy='http://p:1')
    assert [r['name'] for r in results] == ['0', '1', '2', '3', '4']
    assert sorted(seen) == [('http://t%d/' % n, {'http': 'http://p:1'}) for n in range(5)]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'<html>ipacs install</html>' if self.path == '/' else b'nope'
        self.send_response(200 if self.path in ('/', '/wrong') else 404)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % httpd.server_address[1]
    httpd.shutdown()


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize('check_mode', [False, True])
def test_main_against_a_local_server(server, capsys, check_mode):
    args = {'targets': [{'name': 'ok', 'url': server + '/', 'marker': 'ipacs'},
                        {'name': 'wrong page', 'url': server + '/wrong', 'marker': 'ipacs'},
                        {'name': 'missing', 'url': server + '/missing'},
                        {'name': 'dead', 'url': 'http://127.0.0.1:%d/' % free_port()}],
            'no_proxy': ['127.0.0.1'], 'http_proxy': 'http://127.0.0.1:9', 'proxy_username': 'u',
            'proxy_password': 'pacsops-secret', 'timeout': 5, '_ansible_check_mode': check_mode}
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            url_check_module.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    assert result['changed'] is False and result['unreachable_targets'] == 3
    assert [(r['name'], r['failure']) for r in result['results']] == [
        ('ok', ''), ('wrong page', 'content'), ('missing', 'http_status'), ('dead', 'connect')]
    assert 'pacsops-secret' not in out


def test_main_refuses_other_schemes(capsys):
    with patch_module_args({'targets': [{'name': 'ftp', 'url': 'ftp://x/'}]}):
        with pytest.raises(SystemExit):
            url_check_module.main()
    assert 'not http(s)' in json.loads(capsys.readouterr().out)['msg']
