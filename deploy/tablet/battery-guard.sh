#!/bin/sh
# Shuts the tablet down cleanly when its battery is nearly empty and not charging, so
# that the kiosk stops in order (its outbox and history are on disk) instead of the
# power just going. Run every two minutes by nabij-battery-guard.timer.
#
# Settings (environment, e.g. from /etc/nabij/tablet.env):
#   NABIJ_SHUTDOWN_AT    shut down at or below this charge, in percent (default 5)
#   NABIJ_POWER_SUPPLY   where the batteries are (default /sys/class/power_supply)
#   NABIJ_POWEROFF       the command that shuts down (default: systemctl poweroff)
set -eu

threshold=${NABIJ_SHUTDOWN_AT:-5}
supplies=${NABIJ_POWER_SUPPLY:-/sys/class/power_supply}
poweroff=${NABIJ_POWEROFF:-systemctl poweroff}

case $threshold in
    '' | *[!0-9]*)
        echo "NABIJ_SHUTDOWN_AT must be a whole number of percent, not '$threshold'" >&2
        exit 2
        ;;
esac

# A tablet on its charger is never shut down, whatever its battery says.
for supply in "$supplies"/*; do
    [ -r "$supply/type" ] || continue
    case $(cat "$supply/type") in
        Mains | USB | USB_C | USB_PD)
            if [ "$(cat "$supply/online" 2>/dev/null || echo 0)" = 1 ]; then
                exit 0
            fi
            ;;
    esac
done

for supply in "$supplies"/*; do
    [ -r "$supply/type" ] || continue
    [ "$(cat "$supply/type")" = Battery ] || continue
    [ -r "$supply/capacity" ] || continue
    capacity=$(cat "$supply/capacity")
    status=$(cat "$supply/status" 2>/dev/null || echo Unknown)
    case $capacity in
        '' | *[!0-9]*) continue ;;
    esac
    if [ "$status" = Discharging ] && [ "$capacity" -le "$threshold" ]; then
        echo "battery $(basename "$supply") at ${capacity}% and discharging: shutting down cleanly"
        # Word splitting is wanted: the command may have arguments.
        # shellcheck disable=SC2086
        exec $poweroff
    fi
done
exit 0
