#!/bin/sh
# The dashboard's screenshots in this folder, from the demo hub: start `cargo xtask demo`
# in another terminal (six months of made-up data, accounts in Dutch), then run
#   docs/dashboard/shoot.sh
# It logs in as the coach marie and as staff with curl, saves each page, and has
# headless Chromium draw it at laptop size (1280 px wide) and phone size (360 px).
set -eu
base=${NABIJ_DASHBOARD:-https://localhost:8443}
password=${NABIJ_DEMO_PASSWORD:-nabij demo 2026}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for tool in curl chromium; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: sudo apt-get install $tool" >&2; exit 1; }
done
curl -ksf "$base/style.css" -o "$work/style.css" \
    || { echo "no dashboard at $base: start 'cargo xtask demo' first" >&2; exit 1; }

# log_in NAME: a cookie jar with a session for NAME.
log_in() {
    jar="$work/$1.jar"
    token=$(curl -ksf -c "$jar" -b "$jar" "$base/login" | sed -n 's/.*name="token" value="\([^"]*\)".*/\1/p')
    curl -ksf -c "$jar" -b "$jar" -o /dev/null \
        --data-urlencode "name=$1" --data-urlencode "password=$password" \
        --data-urlencode "token=$token" "$base/login"
}

# shoot NAME ACCOUNT PATH: NAME-laptop.png and NAME-phone.png of PATH as ACCOUNT sees it.
shoot() {
    curl -ksf -b "$work/$2.jar" "$base$3" | sed 's|href="/style.css"|href="style.css"|' > "$work/$1.html"
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --window-size=1280,900 --screenshot="$here/$1-laptop.png" "file://$work/$1.html" 2>/dev/null
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=2 \
        --window-size=360,740 --screenshot="$here/$1-phone.png" "file://$work/$1.html" 2>/dev/null
    echo "  $1: $3"
}

log_in marie
log_in staff
group=$(curl -ksf -b "$work/marie.jar" "$base/groups" | sed -n 's|.*href="/groups/\(g-oostende[^"]*\)".*|\1|p' | head -n 1)
senior=$(curl -ksf -b "$work/marie.jar" "$base/messages" | sed -n 's|.*href="/messages/from/\([^"]*\)".*|\1|p' | head -n 1)
echo "Screenshots in $here:"
shoot home marie /
shoot today marie /today
shoot followup marie /followup
shoot messages marie /messages
[ -n "$senior" ] && shoot conversation marie "/messages/from/$senior"
shoot group marie "/groups/$group"
shoot tablets marie /devices
shoot people marie /people
shoot reports staff /reports
