# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fetch URLs (through a proxy or not) and classify each failure, with a remediation hint.

Pure logic: the request goes through an ``opener(url, proxies, timeout, validate_certs)``
callable returning ``(status, body_bytes)`` or raising what urllib raises, so unit tests
fabricate every failure without a network. Failure classes:

* ``dns``: the name (of the target, or of the proxy) does not resolve;
* ``connect``: connection refused or no route (nothing listens, a firewall rejects);
* ``timeout``: no answer in time (a firewall drops, or the host may only go out through the proxy);
* ``proxy_auth``: the proxy answers 407 (to the request or to the HTTPS tunnel);
* ``tls``: certificate or handshake failure (a TLS-inspecting proxy, a wrong clock);
* ``http_status``: an HTTP status the target does not accept (also a tunnel the proxy refuses);
* ``content``: the answer lacks the marker text (a proxy error or login page, a captive portal).
"""

from __future__ import annotations

import errno
import socket
import ssl

try:  # Python 3 only; the module is never run on Python 2 (collection requires 3.9+).
    from urllib.error import HTTPError, URLError
    from urllib.parse import quote, urlsplit
    from urllib.request import HTTPSHandler, ProxyHandler, build_opener, proxy_bypass_environment
except ImportError:  # pragma: no cover
    pass

# Bytes of the answer searched for the marker.
MAX_BODY = 1024 * 1024

# The module's options, shared by the module and its action plugin (which validates them on the controller).
TARGET_OPTIONS = dict(
    name=dict(type='str', required=True),
    url=dict(type='str', required=True),
    marker=dict(type='str'),
    status_code=dict(type='list', elements='int', default=[200]),
    use_proxy=dict(type='bool', default=True),
    validate_certs=dict(type='bool', default=True),
    hint=dict(type='str'),
)
# The light path's first read (plugins/plugin_utils/remote_python.py) runs this call in a thread beside the others:
# it waits on the network, and module_result shares nothing with them.
THREAD_SAFE = True

ARGUMENT_SPEC = dict(
    targets=dict(type='list', elements='dict', required=True, options=TARGET_OPTIONS),
    http_proxy=dict(type='str', default=''),
    https_proxy=dict(type='str', default=''),
    no_proxy=dict(type='list', elements='str', default=[]),
    proxy_username=dict(type='str', default=''),
    proxy_password=dict(type='str', default='', no_log=True),
    timeout=dict(type='int', default=10),
)

HINTS = {
    'dns': 'DNS cannot resolve the host; behind a proxy, set proxy_http / proxy_https so the proxy resolves it.',
    'connect': 'Nothing listens there, or a firewall (iptables/firewalld) rejects it; check the proxy address and port.',
    'timeout': 'A firewall drops the traffic, or the host can only go out through the proxy (set proxy_http / proxy_https).',
    'proxy_auth': 'Set proxy_username / proxy_password (vault) to an account the proxy accepts.',
    'tls': "A TLS-inspecting proxy needs its CA in the host's trust store.",
    'http_status': 'The proxy or a firewall answered instead of the site, or blocks it; ask the site IT to allow the URL.',
    'content': 'Something else answered (a proxy error or login page, a captive portal): check the proxy and its allow list.',
    'other': 'Check the proxy settings and the outgoing firewall rules.',
}


def proxy_url(url, username, password):
    """http://proxy:3128 -> http://user:pass@proxy:3128 (URL-encoded; unchanged without a username)."""
    if not url or not username:
        return url
    scheme, sep, rest = url.partition('://')
    return '%s%s%s:%s@%s' % (scheme, sep, quote(username, safe=''), quote(password or '', safe=''), rest)


def proxies_for(target, http_proxy, https_proxy, no_proxy, username, password):
    """The proxies urllib should use for this target ({} = direct)."""
    if not target.get('use_proxy', True):
        return {}
    host = urlsplit(target['url']).hostname or ''
    if no_proxy and proxy_bypass_environment(host, proxies={'no': ','.join(no_proxy)}):
        return {}
    proxies = {}
    if http_proxy:
        proxies['http'] = proxy_url(http_proxy, username, password)
    if https_proxy:
        proxies['https'] = proxy_url(https_proxy, username, password)
    return proxies


def urllib_opener(url, proxies, timeout, validate_certs):
    """The real request: GET, redirects followed, at most MAX_BODY bytes read."""
    context = ssl.create_default_context()
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    opener = build_opener(ProxyHandler(proxies), HTTPSHandler(context=context))
    with opener.open(url, timeout=timeout) as response:
        return response.status, response.read(MAX_BODY)


def _tunnel_status(exc):
    """http.client reports a refused CONNECT only as OSError('Tunnel connection failed: 407 ...')."""
    text = str(exc)
    marker = 'Tunnel connection failed: '
    if marker not in text:
        return None
    code = text.split(marker, 1)[1].split(' ', 1)[0]
    return int(code) if code.isdigit() else None


def classify_exception(exc):
    """(failure class, status or -1, message) for what the opener raised."""
    if isinstance(exc, HTTPError):
        return ('proxy_auth' if exc.code == 407 else 'http_status'), exc.code, 'HTTP %d %s' % (exc.code, exc.reason)
    reason = exc.reason if isinstance(exc, URLError) else exc
    message = str(reason)
    if isinstance(reason, socket.gaierror):
        return 'dns', -1, 'name not resolved: %s' % message
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return 'timeout', -1, 'no answer: %s' % message
    if isinstance(reason, ssl.SSLError) or isinstance(reason, ssl.CertificateError):
        return 'tls', -1, 'TLS failed: %s' % message
    if isinstance(reason, ConnectionRefusedError):
        return 'connect', -1, 'connection refused: %s' % message
    tunnel = _tunnel_status(reason)
    if tunnel is not None:
        return ('proxy_auth' if tunnel == 407 else 'http_status'), tunnel, 'proxy refused the tunnel: %s' % message
    if isinstance(reason, OSError) and reason.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNRESET):
        return 'connect', -1, 'cannot connect: %s' % message
    return 'other', -1, 'request failed: %s' % message


def check_target(target, opener, proxies, timeout):
    """One report entry: name, url, reachable, status, failure, reason, hint, summary."""
    accepted = target.get('status_code') or [200]
    status, failure, reason = -1, '', ''
    try:
        status, body = opener(target['url'], proxies, timeout, target.get('validate_certs', True))
    except HTTPError as exc:
        status = exc.code
        if status not in accepted:
            failure, status, reason = classify_exception(exc)
            reason = 'HTTP %d (expected %s)' % (status, '/'.join(str(code) for code in accepted)) \
                if failure == 'http_status' else 'HTTP 407: the proxy wants (other) credentials'
        body = b''
    except Exception as exc:  # anything urllib raises is a reason the target is unreachable
        failure, status, reason = classify_exception(exc)
        body = b''
    if not failure and status not in accepted:
        failure, reason = 'http_status', 'HTTP %d (expected %s)' % (status, '/'.join(str(code) for code in accepted))
    marker = target.get('marker')
    if not failure and marker and marker.encode('utf-8') not in body:
        failure, reason = 'content', 'the answer does not contain "%s"' % marker
    hint = ' '.join(text for text in (HINTS.get(failure, '') if failure else '', target.get('hint') or '') if text)
    if failure:
        summary = 'UNREACHABLE: %s (%s): %s. %s' % (target['name'], target['url'], reason, hint)
    else:
        summary = 'reachable: %s (%s)' % (target['name'], target['url'])
    return {'name': target['name'], 'url': target['url'], 'reachable': not failure, 'status': status,
            'failure': failure, 'reason': reason, 'hint': hint, 'summary': summary.strip()}


def check_all(targets, opener=urllib_opener, http_proxy='', https_proxy='', no_proxy=(), username='',
              password='', timeout=10, parallel=True):
    """Every target, in parallel threads (one slow target does not add its timeout to the others)."""
    def one(target):
        proxies = proxies_for(target, http_proxy, https_proxy, no_proxy, username, password)
        return check_target(target, opener, proxies, timeout)

    if not parallel or len(targets) < 2:
        return [one(target) for target in targets]
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=min(8, len(targets))) as pool:
        return list(pool.map(one, targets))


def module_result(params, runner=None, which=None):
    """What the module returns for validated ``params``, with ``failed`` and ``msg`` for a target that is not http(s).

    The module and the light path of its action plugin (plugins/plugin_utils/remote_python.py) both call this.
    """
    for target in params['targets']:
        if not target['url'].startswith(('http://', 'https://')):
            return {'failed': True, 'msg': 'targets: %s: url %r is not http(s)' % (target['name'], target['url'])}
    results = check_all(params['targets'], http_proxy=params['http_proxy'], https_proxy=params['https_proxy'],
                        no_proxy=params['no_proxy'], username=params['proxy_username'],
                        password=params['proxy_password'], timeout=params['timeout'])
    return {'changed': False, 'results': results,
            'unreachable_targets': sum(1 for entry in results if not entry['reachable'])}
