# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The proxy role's input rules. URLs are read with urllib.parse; messages never carry the proxy
password: URLs are shown with their user:password@ replaced by ***@, and the password is never named."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import as_int, rejected, truthy

ROLE = 'proxy'
INPUTS = (
    'proxy_http', 'proxy_https', 'proxy_no_proxy', 'proxy_username', 'proxy_password',
    'proxy_check_targets', 'proxy_check_timeout',
    # What derive() builds the files from (the paths of vars/<os_family>.yml).
    'proxy_environment', 'proxy_environment_credentials', 'proxy_package_manager',
    '__proxy_package_manager', '__proxy_apt_conf', '__proxy_apt_auth',
)

PROXY_SCHEMES = ('http', 'https', 'socks5', 'socks5h')
TARGET_SCHEMES = ('http', 'https')
# A proxy's host name or IPv4 address (an IPv6 one comes in brackets, which urlsplit removes).
PROXY_HOST = r'^[A-Za-z0-9._:-]+\Z'
# Hosts, .domains, addresses and networks, as curl, apt and Python read no_proxy.
NO_PROXY = r'^[A-Za-z0-9.*:_/\[\]-]+\Z'


def redacted(url):
    """The URL as a message shows it: whatever precedes the last '@' after the scheme (user:password) is ***."""
    text = str(url)
    head, at, rest = text.rpartition('@')
    if not at:
        return text
    scheme, slashes, _userinfo = head.partition('//')
    return (scheme + slashes if slashes else '') + '***@' + rest


def split(url):
    """urlsplit's reading of the URL, or None when it has none (a bad port, whitespace urlsplit would drop)."""
    text = str(url)
    if re.search(r'\s', text):
        return None
    try:
        parts = urlsplit(text)
        parts.port  # pylint: disable=pointless-statement  # raises ValueError on a port out of 0-65535
    except ValueError:
        return None
    return parts


def proxy_url_problem(url):
    """Why a proxy URL cannot be written as http_proxy / Acquire::http::Proxy, or None: scheme://host[:port][/]."""
    parts = split(url)
    if parts is None or parts.scheme not in PROXY_SCHEMES or not parts.hostname:
        return 'must be scheme://host[:port] (%s)' % ', '.join(PROXY_SCHEMES)
    if '@' in parts.netloc:
        return 'must not carry user:password@ (use proxy_username and proxy_password from vault)'
    if not re.match(PROXY_HOST, parts.hostname) or parts.path not in ('', '/') or parts.query or parts.fragment:
        return 'must be scheme://host[:port] with nothing after the port but an optional /'
    return None


def target_url_ok(url):
    parts = split(url)
    return parts is not None and parts.scheme in TARGET_SCHEMES and bool(parts.hostname)


def check_proxy(inputs):
    errors = []
    for name in ('proxy_http', 'proxy_https'):
        problem = proxy_url_problem(inputs[name]) if inputs[name] else None
        if problem:
            errors.append('%s=%s %s' % (name, redacted(inputs[name]), problem))
    if inputs['proxy_username']:
        if not inputs['proxy_password']:
            errors.append('proxy_username needs proxy_password (from vault), which is empty')
        if not (inputs['proxy_http'] or inputs['proxy_https']):
            errors.append('proxy_username needs a proxy: proxy_http and proxy_https are empty')
    return errors


def check_targets(inputs):
    errors = []
    bad_no_proxy = rejected(inputs['proxy_no_proxy'], NO_PROXY)
    if bad_no_proxy:
        errors.append('proxy_no_proxy entries %s must be hosts, .domains or addresses' % bad_no_proxy)
    bad_urls = [redacted(target.get('url', '')) for target in inputs['proxy_check_targets']
                if not target_url_ok(target.get('url', ''))]
    if bad_urls:
        errors.append('proxy_check_targets urls %s must be http(s)://host URLs' % bad_urls)
    if as_int(inputs['proxy_check_timeout'], 0) <= 0:
        errors.append('proxy_check_timeout=%s must be above 0' % inputs['proxy_check_timeout'])
    return errors


def check(inputs):
    """Every message for the inputs; empty when they can work. The password is masked wherever it would
    appear (a proxy URL with it inside but no '@', say) as a last guard."""
    password = str(inputs['proxy_password'])
    messages = [message + '.' for message in check_proxy(inputs) + check_targets(inputs)]
    return [message.replace(password, '***') for message in messages] if password else messages


def userinfo(inputs):
    """``user:password@`` URL-encoded ("/" too), for the tools that only take a URL; empty without a user."""
    if not inputs['proxy_username']:
        return ''
    return '%s:%s@' % (quote(str(inputs['proxy_username']), safe=''), quote(str(inputs['proxy_password']), safe=''))


def environment(inputs):
    """The variables the proxy is announced in (environment.j2 writes each in lower and upper case); the URLs carry
    the credentials only when proxy_environment_credentials says so."""
    auth = userinfo(inputs) if truthy(inputs['proxy_environment_credentials']) else ''
    return {
        'http_proxy': re.sub(r'^([a-z0-9]+://)', lambda m: m.group(1) + auth, str(inputs['proxy_http']), count=1),
        'https_proxy': re.sub(r'^([a-z0-9]+://)', lambda m: m.group(1) + auth, str(inputs['proxy_https']), count=1),
        'no_proxy': ','.join(str(host) for host in inputs['proxy_no_proxy']),
    }


def secret(inputs):
    """Whether the derived values carry a secret: /etc/environment's URLs with the credentials in them
    (validate_inputs hides the task's output then)."""
    return bool(inputs['proxy_username']) and truthy(inputs['proxy_environment_credentials'])


def derive(inputs):
    """What the role writes, from valid inputs (the validate task registers it; tasks/configure.yml and
    environment.j2 read it as plain data):

    - ``environment``: http_proxy, https_proxy and no_proxy for /etc/environment;
    - ``files``: every file the role writes, in one list for pacsops.server.managed_files: the marked block of
      /etc/environment (world-readable: pam_env reads it for every session, so the credentials go in only with
      proxy_environment_credentials), and on apt hosts apt.conf.d's proxy file and apt_auth.conf(5)'s root-only
      credentials file. Each is removed when its setting no longer applies. (dnf.conf is an ini file shared
      with other settings: tasks/dnf.yml edits its options.)
    """
    enabled = bool(inputs['proxy_http']) or bool(inputs['proxy_https'])
    credentials = bool(inputs['proxy_username'])
    in_environment = truthy(inputs['proxy_environment_credentials'])
    package_manager = enabled and truthy(inputs['proxy_package_manager'])
    files = [{'path': '/etc/environment', 'src': 'environment.j2', 'marker': '# {mark} pacsops.server.proxy',
              'mode': '0644', 'owner': 'root', 'group': 'root', 'secret': credentials and in_environment,
              'state': 'present' if enabled and truthy(inputs['proxy_environment']) else 'absent'}]
    if inputs['__proxy_package_manager'] == 'apt':
        files += [
            {'path': inputs['__proxy_apt_conf'], 'src': 'apt-proxy.conf.j2', 'mode': '0644', 'owner': 'root',
             'group': 'root', 'state': 'present' if package_manager else 'absent'},
            {'path': inputs['__proxy_apt_auth'], 'src': 'apt-auth.conf.j2', 'mode': '0600', 'owner': 'root',
             'group': 'root', 'secret': True, 'state': 'present' if package_manager and credentials else 'absent'},
        ]
    return {'environment': environment(inputs), 'files': files}
