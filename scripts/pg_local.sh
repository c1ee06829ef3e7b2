# Sourced by services.sh: where the project's own PostgreSQL cluster for $PGPORT lives, and
# as whom it runs. PostgreSQL refuses to run as root, so as root it runs as `postgres`,
# which may not be able to enter a clone under /root: then the cluster lives under
# /var/lib/postgresql, named after the clone's path and port.
RUNAS=()
PGLOCAL="$(pwd)/var/pg-$PGPORT"
mkdir -p "$PGLOCAL"
if [ "$(id -u)" -eq 0 ]; then
  RUNAS=(runuser -u postgres --)
  chown postgres:postgres "$PGLOCAL" && chmod 700 "$PGLOCAL"
  if ! runuser -u postgres -- test -w "$PGLOCAL"; then
    PGLOCAL="/var/lib/postgresql/wangge-$(pwd | sha1sum | cut -c1-10)-$PGPORT"
    mkdir -p "$PGLOCAL" && chown postgres:postgres "$PGLOCAL" && chmod 700 "$PGLOCAL"
  fi
fi
