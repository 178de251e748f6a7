#!/usr/bin/env bash
# Local SAML 2.0 IdP for development and tests: Debian's SimpleSAMLphp 1.19 served by a dedicated Apache
# instance on 127.0.0.1 (never port 80, never the system Apache site config).
#
#   bash scripts/saml-idp.sh [--port N] [--tls-port N] [--sp-entity ID] [--acs URL] [--slo URL] [--sp-cert PEM] [--sign-logout] [--stop]
#   bash scripts/saml-idp.sh --ca-only     # only make sure the test CA and the TLS certificate exist (needs openssl)
#
# Every option can also come from the environment:
#   SAML_IDP_PORT       (default 8089, plain http)
#   SAML_IDP_TLS_PORT   (default 8449: the same IdP over https, certificate for 127.0.0.1/localhost signed by the
#                        project's test CA $SAML_IDP_DIR/cert/ca.crt — trust it with NODE_EXTRA_CA_CERTS)
#   SAML_SP_ENTITY_ID   (default http://localhost:3210/saml/test-sp)
#   SAML_SP_ACS_URL     (default http://localhost:3210/api/saml/acs)
#   SAML_SP_SLO_URL     (default http://localhost:3210/api/saml/slo)
#   SAML_SP_CERT        (optional PEM certificate of the SP: when given, assertions for this SP are encrypted to it)
#   SAML_SP_SIGN_LOGOUT (1 = the IdP signs its LogoutRequests/LogoutResponses to this SP; default 0, SimpleSAMLphp's own)
#   SAML_IDP_DIR        (default <repo>/.data/saml-idp: config, keys, logs, sessions; .data is git-ignored)
#
# Idempotent: installs the Debian packages only when missing, keeps the IdP key once generated, registers (or
# updates) the given SP next to the ones registered before, and (re)starts its own Apache instance.
# Test users (exampleauth:UserPass):
#   alice / alicepass  email alice@idp.test  groups analysts, admins
#   bob   / bobpass    email bob@idp.test    groups analysts
# The last line printed is the IdP metadata URL.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${SAML_IDP_PORT:-8089}"
TLS_PORT="${SAML_IDP_TLS_PORT:-8449}"
SP_ENTITY="${SAML_SP_ENTITY_ID:-http://localhost:3210/saml/test-sp}"
SP_ACS="${SAML_SP_ACS_URL:-http://localhost:3210/api/saml/acs}"
SP_SLO="${SAML_SP_SLO_URL:-http://localhost:3210/api/saml/slo}"
SP_CERT="${SAML_SP_CERT:-}"
SIGN_LOGOUT="${SAML_SP_SIGN_LOGOUT:-0}"
DIR="${SAML_IDP_DIR:-$ROOT/.data/saml-idp}"
STOP=0
CA_ONLY=0

while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT="$2"; shift 2 ;;
    --tls-port) TLS_PORT="$2"; shift 2 ;;
    --ca-only) CA_ONLY=1; shift ;;
    --sp-entity) SP_ENTITY="$2"; shift 2 ;;
    --acs) SP_ACS="$2"; shift 2 ;;
    --slo) SP_SLO="$2"; shift 2 ;;
    --sp-cert) SP_CERT="$2"; shift 2 ;;
    --sign-logout) SIGN_LOGOUT=1; shift ;;
    --stop) STOP=1; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "saml-idp: unknown argument $1" >&2; exit 2 ;;
  esac
done

log() { echo "saml-idp: $*" >&2; }
die() { echo "saml-idp: ERROR: $*" >&2; exit 1; }

PIDFILE="$DIR/run/httpd.pid"
running_pid() {
  if [ -s "$PIDFILE" ]; then
    local pid; pid="$(cat "$PIDFILE")"
    if kill -0 "$pid" 2>/dev/null; then echo "$pid"; return 0; fi
  fi
  return 1
}

if [ "$STOP" = 1 ]; then
  if pid="$(running_pid)"; then
    /usr/sbin/apache2 -f "$DIR/apache.conf" -k stop || kill "$pid"
    log "stopped (pid $pid)"
  else
    log "not running"
  fi
  exit 0
fi

# The test CA (generated once, kept) and the IdP's TLS server certificate for 127.0.0.1 and localhost, signed by it.
ensure_tls_material() {
  if ! command -v openssl >/dev/null; then
    [ "$(id -u)" = 0 ] || die "openssl is needed for the test CA and installing it needs root"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl >/dev/null
  fi
  mkdir -p "$DIR/cert"
  if [ ! -s "$DIR/cert/ca.key" ] || [ ! -s "$DIR/cert/ca.crt" ]; then
    log "generating the test CA ($DIR/cert/ca.crt)"
    openssl req -x509 -newkey rsa:3072 -sha256 -days 3650 -nodes -subj "/CN=Atrium test CA (saml-idp.sh)" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$DIR/cert/ca.key" -out "$DIR/cert/ca.crt" 2>/dev/null
    rm -f "$DIR/cert/tls.crt"
  fi
  if [ ! -s "$DIR/cert/tls.key" ] || [ ! -s "$DIR/cert/tls.crt" ] \
     || ! openssl verify -CAfile "$DIR/cert/ca.crt" "$DIR/cert/tls.crt" >/dev/null 2>&1; then
    log "issuing the IdP's TLS certificate (127.0.0.1, localhost)"
    openssl req -newkey rsa:2048 -sha256 -nodes -subj "/CN=127.0.0.1" -keyout "$DIR/cert/tls.key" -out "$DIR/cert/tls.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > "$DIR/cert/tls.ext"
    openssl x509 -req -in "$DIR/cert/tls.csr" -CA "$DIR/cert/ca.crt" -CAkey "$DIR/cert/ca.key" -CAcreateserial \
      -days 825 -sha256 -extfile "$DIR/cert/tls.ext" -out "$DIR/cert/tls.crt" 2>/dev/null
    rm -f "$DIR/cert/tls.csr" "$DIR/cert/tls.ext"
  fi
  chmod 644 "$DIR/cert/ca.crt" "$DIR/cert/tls.crt"
  chmod 600 "$DIR/cert/ca.key"
}

if [ "$CA_ONLY" = 1 ]; then
  ensure_tls_material
  echo "$DIR/cert/ca.crt"
  exit 0
fi

case "$PORT" in ''|*[!0-9]*) die "--port must be a number" ;; esac
[ "$PORT" -ge 1024 ] || die "--port must be a high port (>= 1024), got $PORT"
case "$TLS_PORT" in ''|*[!0-9]*) die "--tls-port must be a number" ;; esac
[ "$TLS_PORT" -ge 1024 ] && [ "$TLS_PORT" != "$PORT" ] || die "--tls-port must be a high port (>= 1024) other than --port, got $TLS_PORT"
for v in "$SP_ENTITY" "$SP_ACS" "$SP_SLO"; do
  case "$v" in *"'"*|*"\\"*|*$'\n'*) die "SP values may not contain quotes, backslashes or newlines: $v" ;; esac
done
[ -z "$SP_CERT" ] || [ -r "$SP_CERT" ] || die "SP certificate $SP_CERT is not readable"

# --- 1. packages --------------------------------------------------------------------------------------------
PHPMOD="$(ls /usr/lib/apache2/modules/libphp*.so 2>/dev/null | head -n1 || true)"
# mod_ssl ships with Debian's apache2 package (the https listener below).
# Debian's simplesamlphp does not depend on the DOM and mbstring PHP extensions it needs: install them too.
PHP_EXT_DIR="$(ls -d /etc/php/*/mods-available 2>/dev/null | head -n1 || true)"
if [ ! -d /usr/share/simplesamlphp/www ] || [ ! -x /usr/sbin/apache2 ] || [ -z "$PHPMOD" ] || ! command -v openssl >/dev/null \
   || ! command -v curl >/dev/null || [ ! -e "$PHP_EXT_DIR/dom.ini" ] || [ ! -e "$PHP_EXT_DIR/mbstring.ini" ]; then
  [ "$(id -u)" = 0 ] || die "simplesamlphp/apache2/libapache2-mod-php/php-xml/php-mbstring are missing and installing them needs root"
  log "installing simplesamlphp apache2 libapache2-mod-php php-xml php-mbstring (Debian archive)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The package scripts may try to start the system Apache on port 80; that is not the instance used here.
  apt-get install -y -qq --no-install-recommends simplesamlphp apache2 libapache2-mod-php php-xml php-mbstring openssl curl >/dev/null
  PHPMOD="$(ls /usr/lib/apache2/modules/libphp*.so | head -n1)"
fi
SSP=/usr/share/simplesamlphp

# --- 2. directories and IdP key ------------------------------------------------------------------------------
RUN_USER=www-data
id "$RUN_USER" >/dev/null 2>&1 || RUN_USER="$(id -un)"
mkdir -p "$DIR"/{config,metadata,metadata/sp.d,cert,log,run,data,tmp,sessions}
if [ ! -s "$DIR/cert/idp.key" ] || [ ! -s "$DIR/cert/idp.crt" ]; then
  log "generating the IdP signing key and certificate"
  openssl req -x509 -newkey rsa:3072 -sha256 -days 3650 -nodes -subj "/CN=atrium-test-idp" \
    -keyout "$DIR/cert/idp.key" -out "$DIR/cert/idp.crt" 2>/dev/null
fi
ensure_tls_material
[ -s "$DIR/config/secret" ] || openssl rand -hex 32 > "$DIR/config/secret"
SECRET="$(cat "$DIR/config/secret")"
BASE="http://127.0.0.1:$PORT/simplesaml/"

# --- 3. SimpleSAMLphp configuration (project-owned; /etc/simplesamlphp is only read) --------------------------
cat > "$DIR/config/config.php" <<PHP
<?php
// Generated by scripts/saml-idp.sh: Debian's defaults, overridden for the local test IdP.
require '/etc/simplesamlphp/config.php';
\$config = array_merge(\$config, [
    'baseurlpath' => '$BASE',
    'certdir' => '$DIR/cert/',
    'loggingdir' => '$DIR/log/',
    'datadir' => '$DIR/data/',
    'tempdir' => '$DIR/tmp',
    'metadatadir' => '$DIR/metadata/',
    'metadata.sources' => [['type' => 'flatfile', 'directory' => '$DIR/metadata/']],
    'secretsalt' => '$SECRET',
    'auth.adminpassword' => '$SECRET',
    'technicalcontact_name' => 'Atrium test IdP',
    'technicalcontact_email' => 'admin@idp.test',
    'timezone' => 'UTC',
    'enable.saml20-idp' => true,
    'module.enable' => ['core' => true, 'saml' => true, 'exampleauth' => true, 'admin' => true],
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'logging.level' => SimpleSAML\Logger::INFO,
    'store.type' => 'phpsession',
    'session.phpsession.savepath' => '$DIR/sessions',
    'session.cookie.secure' => false,
    'session.cookie.samesite' => null,
    'session.cookie.path' => '/simplesaml/',
    'showerrors' => true,
    'errorreporting' => false,
]);
PHP

cat > "$DIR/config/authsources.php" <<'PHP'
<?php
// Generated by scripts/saml-idp.sh: test users only.
$config = [
    'admin' => ['core:AdminPassword'],
    'example-userpass' => [
        'exampleauth:UserPass',
        'alice:alicepass' => [
            'uid' => ['alice'],
            'email' => ['alice@idp.test'],
            'displayName' => ['Alice Analyst'],
            'groups' => ['analysts', 'admins'],
        ],
        'bob:bobpass' => [
            'uid' => ['bob'],
            'email' => ['bob@idp.test'],
            'displayName' => ['Bob Builder'],
            'groups' => ['analysts'],
        ],
    ],
];
PHP

cat > "$DIR/metadata/saml20-idp-hosted.php" <<PHP
<?php
// Generated by scripts/saml-idp.sh. Entity ID: ${BASE}saml2/idp/metadata.php
\$metadata['__DYNAMIC:1__'] = [
    'host' => '__DEFAULT__',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'auth' => 'example-userpass',
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'saml20.sign.response' => true,
    'saml20.sign.assertion' => true,
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
    'authproc' => [
        10 => [
            'class' => 'saml:AttributeNameID',
            'attribute' => 'email',
            'Format' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        ],
    ],
];
PHP

# One file per registered SP, so several test SPs (e.g. a plain one and an encrypting one) can coexist.
SP_FILE="$DIR/metadata/sp.d/$(printf '%s' "$SP_ENTITY" | sha256sum | cut -c1-16).php"
{
  echo "<?php"
  echo "// Generated by scripts/saml-idp.sh for SP $SP_ENTITY"
  echo "\$metadata['$SP_ENTITY'] = ["
  echo "    'AssertionConsumerService' => [['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', 'Location' => '$SP_ACS', 'index' => 0]],"
  echo "    'SingleLogoutService' => [['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', 'Location' => '$SP_SLO']],"
  echo "    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',"
  echo "    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',"
  echo "    'saml20.sign.response' => true,"
  echo "    'saml20.sign.assertion' => true,"
  if [ "$SIGN_LOGOUT" = 1 ]; then echo "    'sign.logout' => true,"; fi
  if [ -n "$SP_CERT" ]; then
    CERT_B64="$(sed -e '/-----/d' "$SP_CERT" | tr -d '\n\r ')"
    echo "    'assertion.encryption' => true,"
    echo "    'sharedkey_algorithm' => 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',"
    echo "    'keys' => [['encryption' => true, 'signing' => false, 'type' => 'X509Certificate', 'X509Certificate' => '$CERT_B64']],"
  fi
  echo "];"
} > "$SP_FILE.tmp"
mv "$SP_FILE.tmp" "$SP_FILE"

cat > "$DIR/metadata/saml20-sp-remote.php" <<'PHP'
<?php
// Generated by scripts/saml-idp.sh: every SP registered through the script (one file each in sp.d/).
foreach (glob(__DIR__ . '/sp.d/*.php') as $file) {
    require $file;
}
PHP

# --- 4. dedicated Apache instance ---------------------------------------------------------------------------
cat > "$DIR/apache.conf" <<CONF
# Generated by scripts/saml-idp.sh: a dedicated Apache for the test IdP (not the system site configuration).
ServerRoot /etc/apache2
ServerName 127.0.0.1
Listen 127.0.0.1:$PORT
Listen 127.0.0.1:$TLS_PORT
PidFile $DIR/run/httpd.pid
DefaultRuntimeDir $DIR/run
Mutex file:$DIR/run default
User $RUN_USER
Group $(id -gn "$RUN_USER")
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule env_module /usr/lib/apache2/modules/mod_env.so
LoadModule php_module $PHPMOD
LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so
SSLSessionCache shmcb:$DIR/run/ssl_scache(512000)
SSLProtocol -all +TLSv1.2 +TLSv1.3
StartServers 2
MinSpareServers 1
MaxSpareServers 4
MaxRequestWorkers 16
ErrorLog $DIR/log/apache-error.log
LogFormat "%h %t \"%r\" %>s %b" short
CustomLog $DIR/log/apache-access.log short
TypesConfig /etc/mime.types
DocumentRoot $SSP/www
<Directory />
    AllowOverride None
    Require all denied
</Directory>
Alias /simplesaml $SSP/www
<Directory $SSP/www>
    Require all granted
    DirectoryIndex index.php
    AcceptPathInfo On
    SetEnv SIMPLESAMLPHP_CONFIG_DIR $DIR/config
    <FilesMatch "\.php$">
        SetHandler application/x-httpd-php
    </FilesMatch>
</Directory>
# The same IdP over https (metadata import by URL); the IdP's own URLs (baseurlpath) stay on the http port.
<VirtualHost 127.0.0.1:$TLS_PORT>
    ServerName 127.0.0.1
    SSLEngine on
    SSLCertificateFile $DIR/cert/tls.crt
    SSLCertificateKeyFile $DIR/cert/tls.key
</VirtualHost>
CONF

# The Apache children run as $RUN_USER: they read the config and key, and write logs, sessions and temp files.
chmod 755 "$DIR" "$DIR"/{config,metadata,metadata/sp.d,cert,run}
chmod 644 "$DIR"/config/*.php "$DIR"/metadata/*.php "$DIR"/metadata/sp.d/*.php "$DIR/cert/idp.crt"
if [ "$(id -u)" = 0 ]; then
  chown "root:$(id -gn "$RUN_USER")" "$DIR/cert/idp.key" "$DIR/config/secret" "$DIR/cert/tls.key"
  chmod 640 "$DIR/cert/idp.key" "$DIR/config/secret" "$DIR/cert/tls.key"
  chown -R "$RUN_USER" "$DIR"/{log,data,tmp,sessions}
  # every directory above DIR must be traversable by the Apache user
  d="$DIR"; while [ "$d" != / ]; do d="$(dirname "$d")"; chmod o+x "$d" 2>/dev/null || true; done
fi

/usr/sbin/apache2 -f "$DIR/apache.conf" -t >/dev/null 2>"$DIR/log/configtest.log" || { cat "$DIR/log/configtest.log" >&2; die "Apache configuration test failed"; }

if pid="$(running_pid)"; then
  log "reloading the running instance (pid $pid)"
  /usr/sbin/apache2 -f "$DIR/apache.conf" -k graceful
else
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "port $PORT on 127.0.0.1 is taken by another program; choose one with --port or SAML_IDP_PORT"
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$TLS_PORT") 2>/dev/null; then
    die "port $TLS_PORT on 127.0.0.1 is taken by another program; choose one with --tls-port or SAML_IDP_TLS_PORT"
  fi
  log "starting Apache on 127.0.0.1:$PORT (http) and 127.0.0.1:$TLS_PORT (https)"
  /usr/sbin/apache2 -f "$DIR/apache.conf" -k start
fi

META="${BASE}saml2/idp/metadata.php"
for _ in $(seq 1 50); do
  code="$(curl -s -o "$DIR/run/metadata.xml" -w '%{http_code}' "$META" 2>/dev/null || true)"
  if [ "$code" = 200 ] && grep -q "IDPSSODescriptor" "$DIR/run/metadata.xml"; then
    log "SP registered: $SP_ENTITY -> ACS $SP_ACS${SP_CERT:+ (assertions encrypted)}"
    log "users: alice/alicepass (analysts, admins), bob/bobpass (analysts)"
    curl -s -o /dev/null --cacert "$DIR/cert/ca.crt" "https://127.0.0.1:$TLS_PORT/simplesaml/saml2/idp/metadata.php" \
      && log "over https (test CA $DIR/cert/ca.crt): https://127.0.0.1:$TLS_PORT/simplesaml/saml2/idp/metadata.php" \
      || log "WARNING: the https listener on $TLS_PORT does not answer"
    echo "$META"
    exit 0
  fi
  sleep 0.2
done
tail -n 20 "$DIR/log/apache-error.log" >&2 || true
tail -n 20 "$DIR/log/simplesamlphp.log" >&2 || true
die "the IdP did not serve its metadata at $META (last HTTP status: ${code:-none})"
