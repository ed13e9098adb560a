#!/usr/bin/env bash
# scripts/dev-cert.sh DIR [HOST]: a self-signed certificate for `make run TLS=1`, in DIR/cert.pem
# and DIR/key.pem (P-256, for localhost, 127.0.0.1, ::1 and HOST when it is another address).
# Made with the openssl CLI when missing, when it expires within a day, or when HOST is not in it;
# otherwise left alone, so a browser's exception for it keeps working across runs. Never committed
# (it lives under build/).
set -euo pipefail
dir=$1
host=${2:-}
cert=$dir/cert.pem
key=$dir/key.pem
san="DNS:localhost,IP:127.0.0.1,IP:::1"
case $host in
"" | localhost | 127.0.0.1 | 0.0.0.0 | ::1 | ::) ;;
*[!0-9.:]*) san="$san,DNS:$host" ;;
*) san="$san,IP:$host" ;;
esac
if [ -f "$cert" ] && [ -f "$key" ] && openssl x509 -in "$cert" -noout -checkend 86400 >/dev/null 2>&1 &&
    openssl x509 -in "$cert" -noout -ext subjectAltName 2>/dev/null | tr -d ' \n' |
    grep -qF "$(printf '%s' "$san" | sed 's/IP:::1/IPAddress:0:0:0:0:0:0:0:1/; s/IP:/IPAddress:/g')"; then
    exit 0
fi
mkdir -p "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -keyout "$key" -out "$cert" -subj "/CN=cabled demo (self-signed)" \
    -addext "subjectAltName=$san" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
chmod 600 "$key"
echo "cabled: made a self-signed certificate for $san in $cert (valid 30 days)"
