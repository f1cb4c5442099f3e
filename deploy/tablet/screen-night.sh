#!/bin/sh
# Dims the screen at night and brings it back in the morning. Run by
# nabij-screen-night.timer at the start and end of the night and at boot; it looks at
# the clock itself, so a tablet switched on at night starts dimmed.
#
# Settings (environment, e.g. from /etc/nabij/tablet.env):
#   NABIJ_NIGHT_FROM     the hour the night starts (default 22)
#   NABIJ_NIGHT_UNTIL    the hour it ends (default 7)
#   NABIJ_NIGHT_PERCENT  the brightness at night, in percent of the maximum (default 10)
#   NABIJ_BACKLIGHT      where the backlights are (default /sys/class/backlight)
#   NABIJ_STATE          where the day's brightness is kept meanwhile (default /run/nabij)
#   NABIJ_HOUR           the hour to act as (default: now)
set -eu

from=${NABIJ_NIGHT_FROM:-22}
until=${NABIJ_NIGHT_UNTIL:-7}
percent=${NABIJ_NIGHT_PERCENT:-10}
lights=${NABIJ_BACKLIGHT:-/sys/class/backlight}
state=${NABIJ_STATE:-/run/nabij}
hour=${NABIJ_HOUR:-$(date +%H)}

for value in "$from" "$until" "$percent" "$hour"; do
    case $value in
        '' | *[!0-9]*)
            echo "the night's hours and brightness are whole numbers, not '$value'" >&2
            exit 2
            ;;
    esac
done
# date gives 08 and 09, which are not octal numbers.
hour=${hour#0}
hour=${hour:-0}

if [ "$from" -gt "$until" ]; then
    # The night crosses midnight (22 to 7).
    if [ "$hour" -ge "$from" ] || [ "$hour" -lt "$until" ]; then night=yes; else night=no; fi
else
    if [ "$hour" -ge "$from" ] && [ "$hour" -lt "$until" ]; then night=yes; else night=no; fi
fi

mkdir -p "$state"
for light in "$lights"/*; do
    [ -w "$light/brightness" ] || continue
    name=$(basename "$light")
    saved="$state/brightness-$name"
    max=$(cat "$light/max_brightness")
    if [ "$night" = yes ]; then
        # Keep the day's brightness (a coach may have set it) for the morning, once.
        [ -e "$saved" ] || cat "$light/brightness" >"$saved"
        dim=$((max * percent / 100))
        [ "$dim" -ge 1 ] || dim=1
        echo "$dim" >"$light/brightness"
        echo "night: $name dimmed to $dim of $max"
    elif [ -e "$saved" ]; then
        cat "$saved" >"$light/brightness"
        rm -f "$saved"
        echo "morning: $name back to $(cat "$light/brightness") of $max"
    fi
done
