#!/bin/bash
# Stand-in for the mysql:8.0 image's entrypoint, on Debian's MariaDB: on an empty data directory,
# initialise it with the root password from MYSQL_ROOT_PASSWORD for root@localhost and root@'%'
# (as the mysql image does; install-db's password-less root@127.0.0.1 and @::1 would win over '%'), then run the server with the compose command's options.
set -euo pipefail
datadir=/var/lib/mysql
install -d -o mysql -g mysql /run/mysqld
chown mysql:mysql "$datadir"
if [ ! -d "$datadir/mysql" ]; then
  : "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD is not set}"
  echo "db-entrypoint: initialising $datadir"
  mariadb-install-db --user=mysql --datadir="$datadir" --auth-root-authentication-method=normal \
    --skip-test-db >/dev/null
  pw=${MYSQL_ROOT_PASSWORD//\\/\\\\}
  pw=${pw//\'/\\\'}
  mariadbd --user=mysql --datadir="$datadir" --bootstrap --skip-networking <<SQL
FLUSH PRIVILEGES;
DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@'$(hostname)';
ALTER USER 'root'@'localhost' IDENTIFIED BY '$pw';
CREATE USER 'root'@'%' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
SQL
fi
if [ "${1:-}" = mysqld ]; then
  shift
  # The server stays root inside its container, unlike the mysql image: `docker exec` (the health
  # check) into a process of another uid needs CAP_SYS_PTRACE, which the test container lacks.
  exec mariadbd --user=root --datadir="$datadir" --bind-address=0.0.0.0 --skip-name-resolve "$@"
fi
exec "$@"
