#!/bin/sh
# Turns a fresh Debian 12 (PineTab2) or Raspberry Pi OS Lite (a Pi with the 7" touch
# screen) into a Nabij tablet:
#   - the kiosk package, full screen, started at boot, with this hub's settings;
#   - no desktop and no login prompt on the screen;
#   - SSH only with a key, never with a password;
#   - security updates installed automatically at night;
#   - the screen dimmed at night;
#   - a clean shutdown when the battery is nearly empty;
#   - NetworkManager and polkit, so that a coach can put the tablet on the senior's
#     home Wi-Fi from the kiosk (the package's polkit rule lets the kiosk join).
# Run it once, as root, from the folder that holds the files below (a USB stick):
#   sudo sh setup-tablet.sh
# It is safe to run again (to update the kiosk or the settings).
#
# The folder holds:
#   nabij-kiosk_<version>_arm64.deb   from `cargo xtask package --arch arm64`
#   kiosk-settings.toml               from `nabij-hub kiosk-settings --host <hub's name>`
#   authorized_keys                   (optional) the IT person's SSH public keys, for root
# Options:
#   --model pinetab2|rpi-touch-7|pinetab-a64   (default: read from the device tree)
#   --package FILE  --settings FILE  --ssh-keys FILE   (default: found beside this script)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
model=
package=
settings=$here/kiosk-settings.toml
keys=$here/authorized_keys

say() { printf '%s\n' "$*"; }
fail() {
    printf 'setup-tablet: %s\n' "$*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case $1 in
        --model) model=${2:?--model needs a name}; shift 2 ;;
        --package) package=${2:?--package needs a file}; shift 2 ;;
        --settings) settings=${2:?--settings needs a file}; shift 2 ;;
        --ssh-keys) keys=${2:?--ssh-keys needs a file}; shift 2 ;;
        -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
        *) fail "unknown option $1 (see --help)" ;;
    esac
done

[ "$(id -u)" = 0 ] || fail "run it as root: sudo sh $0"

if [ -z "$package" ]; then
    for candidate in "$here"/nabij-kiosk_*_"$(dpkg --print-architecture)".deb; do
        [ -e "$candidate" ] && package=$candidate
    done
fi
[ -r "${package:-}" ] ||
    fail "no nabij-kiosk_*_$(dpkg --print-architecture).deb beside this script: make it with 'cargo xtask package --arch arm64', or give --package FILE"
# apt installs a file only by its path (a bare name would be a package to download).
package=$(cd "$(dirname "$package")" && pwd)/$(basename "$package")
[ -r "$settings" ] ||
    fail "no kiosk settings at $settings: on the hub run 'nabij-hub kiosk-settings --host <the hub's name>' and save its output there"
grep -q '^\[hub\]' "$settings" ||
    fail "$settings is not a kiosk settings file (it has no [hub] section)"

# Which tablet this is, for its firmware profile (screen size, sound, backlight, battery).
if [ -z "$model" ]; then
    found=$(tr -d '\0' </proc/device-tree/model 2>/dev/null || true)
    case $found in
        *PineTab2*) model=pinetab2 ;;
        *PineTab*) model=pinetab-a64 ;;
        *"Raspberry Pi"*) model=rpi-touch-7 ;;
        *) fail "cannot tell which tablet this is ('$found'): give --model pinetab2, rpi-touch-7 or pinetab-a64" ;;
    esac
fi
profile=/usr/share/nabij/firmware-profiles/$model.toml
say "Tablet model: $model"

say "Installing the kiosk, NetworkManager and automatic updates..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq unattended-upgrades network-manager polkitd "$package"
[ -r "$profile" ] || fail "the kiosk package has no firmware profile $model.toml"

say "Putting this hub's settings in place..."
install -d -m 0755 /etc/nabij
install -m 0640 -o root -g nabij-kiosk "$settings" /etc/nabij/kiosk-settings.toml
printf 'NABIJ_PROFILE=%s\n' "$profile" >/etc/nabij/kiosk.env
if [ ! -e /etc/nabij/tablet.env ]; then
    cat >/etc/nabij/tablet.env <<'SETTINGS'
# The tablet's chores (see /usr/lib/nabij/battery-guard and screen-night).
NABIJ_SHUTDOWN_AT=5
NABIJ_NIGHT_FROM=22
NABIJ_NIGHT_UNTIL=7
NABIJ_NIGHT_PERCENT=10
SETTINGS
fi

say "No desktop and no login prompt on the screen: the kiosk has it..."
systemctl set-default multi-user.target
for manager in lightdm gdm3 sddm lxdm; do
    if systemctl list-unit-files "$manager.service" >/dev/null 2>&1; then
        systemctl disable --now "$manager.service" 2>/dev/null || true
    fi
done
systemctl mask getty@tty1.service
# Raspberry Pi OS logs a user in on the console by itself (raspi-config's autologin).
rm -f /etc/systemd/system/getty@tty1.service.d/autologin.conf
# Kernel messages stay off the senior's screen (they go to the journal).
printf 'kernel.printk = 3 3 3 3\n' >/etc/sysctl.d/50-nabij-quiet.conf

say "SSH only with a key..."
if [ -r "$keys" ]; then
    install -d -m 0700 /root/.ssh
    install -m 0600 "$keys" /root/.ssh/authorized_keys
fi
install -d -m 0755 /etc/ssh/sshd_config.d
cat >/etc/ssh/sshd_config.d/50-nabij.conf <<'SSH'
# Nabij tablet: SSH with a key only (setup-tablet.sh). A lost tablet lets no one in
# with a guessed password.
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
SSH
if systemctl is-active --quiet ssh.service 2>/dev/null; then
    systemctl reload ssh.service
fi

say "Security updates at night..."
cat >/etc/apt/apt.conf.d/52nabij-unattended-upgrades <<'APT'
// Nabij tablet (setup-tablet.sh): the package lists and security updates every night,
// and a restart at 03:30 when an update needs one (the kiosk comes back by itself).
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
Unattended-Upgrade::Origins-Pattern {
        "origin=Debian,codename=${distro_codename},label=Debian-Security";
        "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";
        "origin=Raspberry Pi Foundation,codename=${distro_codename}";
};
Unattended-Upgrade::Automatic-Reboot "true";
Unattended-Upgrade::Automatic-Reboot-Time "03:30";
APT
for timer in apt-daily apt-daily-upgrade; do
    install -d -m 0755 "/etc/systemd/system/$timer.timer.d"
done
cat >/etc/systemd/system/apt-daily.timer.d/50-nabij-night.conf <<'TIMER'
# Nabij tablet: fetch the package lists at night, not while a senior uses the tablet.
[Timer]
OnCalendar=
OnCalendar=*-*-* 01:30
RandomizedDelaySec=30min
TIMER
cat >/etc/systemd/system/apt-daily-upgrade.timer.d/50-nabij-night.conf <<'TIMER'
# Nabij tablet: install the updates at night.
[Timer]
OnCalendar=
OnCalendar=*-*-* 02:30
RandomizedDelaySec=20min
TIMER

say "Starting the kiosk, the battery guard and the night-time screen..."
systemctl daemon-reload
sysctl -q --system >/dev/null 2>&1 || true
systemctl enable apt-daily.timer apt-daily-upgrade.timer
systemctl enable --now nabij-battery-guard.timer nabij-screen-night.timer
systemctl enable nabij-kiosk.service
systemctl restart nabij-kiosk.service

say "Done. The screen now shows a pairing code and a QR code:"
say "pair the tablet with its senior on the dashboard (Tablets), or with"
say "  nabij-hub device enrol <CODE> --participant \"<name>\""
