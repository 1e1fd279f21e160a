"""MariaDB on Debian 12 (10.11, root policy password) and Debian 13 (11.8, root policy unix_socket,
non-standard data directory and socket), checked from outside with PyMySQL and on the host."""
import json
import os
import sys
import time

import pymysql
import pytest
import testinfra
import yaml

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402

SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(SCENARIO, "molecule.yml"), encoding="utf-8") as handle:
    CONFIG = yaml.safe_load(handle)
GROUP = CONFIG["provisioner"]["inventory"]["group_vars"]["ipacs_hosts"]
HOST_VARS = CONFIG["provisioner"]["inventory"]["host_vars"]
ADDRESSES = {p["name"]: p["networks"][0]["ipv4_address"] for p in CONFIG["platforms"]}
IPACS_PASSWORD = GROUP["mariadb_ipacs_password"]
ROOT_PASSWORD = GROUP["mariadb_root_password"]
REPORTING_PASSWORD = next(u["password"] for u in GROUP["mariadb_users"] if u["name"] == "reporting")
# Passwords the data-safety run rotates to (given with -e) and that must not appear either.
ROTATED = {"mariadb_ipacs_password": "Rotated-Ipacs-Pw-5e7d", "mariadb_root_password": "Rotated-Root-Pw-0b9c"}
SECRETS = [IPACS_PASSWORD, ROOT_PASSWORD, REPORTING_PASSWORD, *ROTATED.values()]
DEFAULT_SQL_MODE = "STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,ALLOW_INVALID_DATES"
DENIED = (1045, 1130, 1698)  # access denied / host not allowed / unix_socket refused


def name(host):
    return host.backend.get_hostname()


def setting(host, key):
    return HOST_VARS.get(name(host), {}).get(key, GROUP.get(key))


def connect(host, user, password, database=None):
    return pymysql.connect(host=ADDRESSES[name(host)], port=3306, user=user, password=password,
                           database=database, connect_timeout=10, autocommit=True)


def query(host, user, password, sql, database=None):
    with connect(host, user, password, database) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def socket_sql(host, sql):
    """Runs SQL as the OS root on the target: root over the local socket, no password."""
    result = host.run("mariadb --batch --skip-column-names -e %s", sql)
    assert result.rc == 0, result.stderr
    return result.stdout.strip()


def assert_denied(host, user, password):
    with pytest.raises(pymysql.err.OperationalError) as err:
        connect(host, user, password).close()
    assert err.value.args[0] in DENIED, err.value.args


def test_ipacs_logs_in_over_tcp_and_sees_its_schemas(host):
    schemas = {row[0] for row in query(host, "ipacs", IPACS_PASSWORD, "SHOW DATABASES")}
    assert {"public_pacs", "public_view"} <= schemas, schemas
    # Only its own schemas (and information_schema) are visible.
    assert not schemas & {"mysql", "performance_schema", "sys"}, schemas


def test_privileges_are_exactly_the_declared_ones(host):
    assert query(host, "reporting", REPORTING_PASSWORD, "SELECT COUNT(*) FROM information_schema.SCHEMATA "
                 "WHERE SCHEMA_NAME = 'public_pacs'")[0][0] == 1
    with pytest.raises(pymysql.err.OperationalError) as err:
        query(host, "reporting", REPORTING_PASSWORD, "CREATE TABLE public_pacs.nope (id INT)")
    assert err.value.args[0] == 1142, err.value.args  # command denied


def test_wrong_password_is_refused(host):
    assert_denied(host, "ipacs", IPACS_PASSWORD + "x")


def test_root_over_tcp_is_refused(host):
    # With and without the root password: root exists only @localhost (the socket).
    assert_denied(host, "root", ROOT_PASSWORD)
    assert_denied(host, "root", "")


def test_anonymous_login_is_refused(host):
    assert_denied(host, "", "")
    assert socket_sql(host, "SELECT COUNT(*) FROM mysql.user WHERE User = ''") == "0"
    assert socket_sql(host, "SELECT COUNT(*) FROM mysql.user WHERE User = 'root' AND Host <> 'localhost'") == "0"
    assert "test" not in socket_sql(host, "SHOW DATABASES").split()


def test_root_over_the_socket_works_on_the_target(host):
    assert socket_sql(host, "SELECT CURRENT_USER()") == "root@localhost"


def test_root_password_follows_the_policy(host):
    # Another OS user cannot use unix_socket as MariaDB root; only the password policy lets it in.
    result = host.run("runuser -u nobody -- mariadb --user=root --password=%s -e 'SELECT 1'", ROOT_PASSWORD)
    if setting(host, "mariadb_root_policy") == "password":
        assert result.rc == 0, result.stderr
    else:
        assert result.rc != 0 and "denied" in result.stderr, result.stderr


def test_sql_mode_and_charset_are_the_declared_ones(host):
    mode, charset, collation, connections = query(
        host, "ipacs", IPACS_PASSWORD,
        "SELECT @@GLOBAL.sql_mode, @@character_set_server, @@collation_server, @@max_connections")[0]
    expected = setting(host, "mariadb_sql_mode") or DEFAULT_SQL_MODE
    # The server lists the modes in its own order.
    assert set(mode.split(",")) == set(expected.split(",")), mode
    assert (charset, collation) == ("utf8mb4", "utf8mb4_general_ci")
    assert connections == GROUP["mariadb_max_connections"]
    schema = query(host, "ipacs", IPACS_PASSWORD, "SELECT DEFAULT_CHARACTER_SET_NAME FROM "
                   "information_schema.SCHEMATA WHERE SCHEMA_NAME = 'public_view'")[0][0]
    assert schema == "utf8mb4"


def test_buffer_pool_is_sized_from_memory_or_as_declared(host):
    size = int(socket_sql(host, "SELECT @@innodb_buffer_pool_size"))
    declared = setting(host, "mariadb_innodb_buffer_pool_size")
    if declared:
        assert size == int(declared.rstrip("M")) * 1024 * 1024
    else:
        mem_kb = int(host.run("awk '/^MemTotal:/ {print $2}' /proc/meminfo").stdout)
        wanted_mb = max(mem_kb * setting(host, "mariadb_innodb_buffer_pool_percent") // 102400, 128)
        # InnoDB rounds the pool up to whole chunks (128 MiB by default).
        assert wanted_mb * 1024 * 1024 <= size < (wanted_mb + 128) * 1024 * 1024, (size, wanted_mb)


def test_non_standard_install_paths(host):
    datadir = setting(host, "mariadb_datadir") or "/var/lib/mysql"
    assert socket_sql(host, "SELECT @@datadir").rstrip("/") == datadir
    assert host.file(datadir + "/mysql").is_directory
    socket = setting(host, "mariadb_socket") or "/run/mysqld/mysqld.sock"
    assert host.socket("unix://" + socket).is_listening


def test_managed_files_and_units(host):
    assert host.file("/etc/mysql/mariadb.conf.d/60-pacsops.cnf").mode == 0o644
    script = host.file("/usr/local/sbin/pacsops-mariadb-dump")
    assert script.mode == 0o750 and script.user == "root"
    assert host.service("mariadb").is_enabled and host.service("mariadb").is_running
    assert host.run("systemctl is-enabled pacsops-mariadb-dump.timer").stdout.strip() == "enabled"
    assert host.run("systemctl is-active pacsops-mariadb-dump.timer").stdout.strip() == "active"


@pytest.fixture(scope="module")
def patients():
    """A table with rows in public_pacs on every target, written by ipacs over TCP."""
    sums = {}
    for target, address in ADDRESSES.items():
        with pymysql.connect(host=address, user="ipacs", password=IPACS_PASSWORD, database="public_pacs",
                             autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS patients")
            cur.execute("CREATE TABLE patients (id INT PRIMARY KEY, name VARCHAR(64), born DATE) ENGINE=InnoDB")
            cur.executemany("INSERT INTO patients VALUES (%s, %s, %s)",
                            [(i, f"Patient {i} Ærø 名前", f"19{i % 90 + 10}-01-0{i % 9 + 1}") for i in range(500)])
            cur.execute("CHECKSUM TABLE patients")
            sums[target] = cur.fetchone()[1]
    return sums


def table_state(target):
    with pymysql.connect(host=ADDRESSES[target], user="ipacs", password=IPACS_PASSWORD,
                         database="public_pacs") as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM patients")
        count = cur.fetchone()[0]
        cur.execute("CHECKSUM TABLE patients")
        return count, cur.fetchone()[1]


def assert_no_secret(result):
    output = result.stdout + result.stderr
    leaked = [s for s in SECRETS if s in output]
    assert not leaked, f"password(s) printed by ansible-playbook -v: {len(leaked)}"


def test_rerun_with_restart_and_rotated_passwords_keeps_data_and_prints_no_password(patients):
    started = time.monotonic()
    # A setting that forces a restart, plus rotated ipacs and root passwords, shown with -v.
    changed = pacsops_testlib.run_playbook(
        "converge.yml", "-v", "-e", "mariadb_max_connections=121",
        "-e", json.dumps(ROTATED))
    elapsed = time.monotonic() - started
    assert changed.returncode == 0, changed.stdout[-3000:] + changed.stderr[-2000:]
    assert_no_secret(changed)
    assert all(r["changed"] > 0 for r in pacsops_testlib.recap(changed.stdout).values())
    for target in ADDRESSES:
        with pymysql.connect(host=ADDRESSES[target], user="ipacs",
                             password=ROTATED["mariadb_ipacs_password"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT @@max_connections")
            assert cur.fetchone()[0] == 121
            cur.execute("SHOW GLOBAL STATUS LIKE 'Uptime'")
            assert int(cur.fetchone()[1]) <= elapsed + 1, "the server was not restarted during the run"
            cur.execute("SELECT COUNT(*) FROM public_pacs.patients")
            assert cur.fetchone()[0] == 500
    # Back to the declaration (another restart and password change), again with -v.
    restored = pacsops_testlib.run_playbook("converge.yml", "-v")
    assert restored.returncode == 0, restored.stdout[-3000:] + restored.stderr[-2000:]
    assert_no_secret(restored)
    for target, checksum in patients.items():
        assert table_state(target) == (500, checksum)


def test_plain_rerun_changes_nothing_and_keeps_data(patients):
    result = pacsops_testlib.run_playbook("converge.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    assert all(r["changed"] == 0 for r in pacsops_testlib.recap(result.stdout).values()), result.stdout[-4000:]
    for target, checksum in patients.items():
        assert table_state(target) == (500, checksum)


def test_dump_timer_service_produces_a_restorable_dump(host, patients):
    backup = "/var/backups/mariadb"
    started = host.run("systemctl start pacsops-mariadb-dump.service")
    assert started.rc == 0, host.run("journalctl -u pacsops-mariadb-dump.service --no-pager | tail -20").stdout
    assert host.file(backup).mode == 0o700
    files = host.run("find %s -type f -printf '%%m %%u %%p\\n'", backup).stdout.split("\n")
    files = [f.split(" ") for f in files if f]
    assert files, "no dump written"
    assert all(mode == "600" and owner == "root" for mode, owner, _ in files), files
    assert not [p for _, _, p in files if p.endswith(".part")]
    dump = sorted(p for _, _, p in files if os.path.basename(p).startswith("public_pacs_"))[-1]
    socket_sql(host, "DROP DATABASE IF EXISTS scratch_restore; CREATE DATABASE scratch_restore")
    try:
        restored = host.run("zcat %s | mariadb scratch_restore", dump)
        assert restored.rc == 0, restored.stderr
        checksum = socket_sql(host, "CHECKSUM TABLE scratch_restore.patients").split()[-1]
        assert int(checksum) == patients[name(host)]
        assert socket_sql(host, "SELECT COUNT(*) FROM scratch_restore.patients") == "500"
    finally:
        socket_sql(host, "DROP DATABASE IF EXISTS scratch_restore")


@pytest.mark.parametrize("override, variable", [
    ({"mariadb_root_policy": "rootless"}, "mariadb_root_policy"),
    ({"mariadb_ipacs_password": ""}, "mariadb_users"),
    ({"mariadb_users": [{"name": "bad name;", "password": "x", "hosts": ["localhost"]}]}, "mariadb_users"),
    ({"mariadb_root_policy": "password", "mariadb_root_password": ""}, "mariadb_root_password"),
])
def test_bad_input_fails_before_any_change(override, variable):
    target = "pacsops-mariadb-debian12"
    marker = "/etc/mysql/mariadb.conf.d/60-pacsops.cnf"
    host = testinfra.get_host(f"ansible://{target}?ansible_inventory=" + os.environ["MOLECULE_INVENTORY_FILE"])
    before = host.run("sha1sum %s", marker).stdout
    # The marker setting would change the drop-in (and restart the server) if anything ran.
    result = pacsops_testlib.run_playbook(
        "converge.yml", "--limit", target, "-e", "mariadb_max_connections=133",
        "-e", json.dumps(override))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert variable in output, output[-3000:]
    assert pacsops_testlib.recap(result.stdout)[target]["changed"] == 0
    assert host.run("sha1sum %s", marker).stdout == before
    assert socket_sql(host, "SELECT @@max_connections") == str(GROUP["mariadb_max_connections"])


def test_check_mode_on_converged_host_reports_no_change():
    pacsops_testlib.assert_check_mode_clean()
